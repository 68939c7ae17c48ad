/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "update.h"

#include "call.h"
#include "show.h"

static json_object *member(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

int update_check_code(json_object *check) {
        if (!member(check, "error"))
                return KOOMPI_EXIT_OK;
        return json_object_get_boolean(member(check, "refused")) ? KOOMPI_EXIT_REFUSED : KOOMPI_EXIT_FAILED;
}

void show_update_check(FILE *f, json_object *check) {
        json_object *bucket = member(check, "bucket");
        if (member(check, "error")) {
                fprintf(f, "No release taken: %s\n", show_str(check, "error", ""));
                return;
        }
        fprintf(f, "This machine: %s\n", show_str(check, "current", "unknown release"));
        fprintf(f, "Available:    %s (%s, channel %s, serial %lld)\n", show_str(check, "version", "?"),
                show_str(check, "tier", "?"), show_str(check, "channel", "?"),
                (long long)json_object_get_int64(member(check, "serial")));
        if (bucket)
                fprintf(f, "Rollout:      bucket %d, the release is at %d %%%s\n",
                        json_object_get_int(bucket), json_object_get_int(member(check, "percent")),
                        json_object_get_boolean(member(check, "paused")) ? " (paused)" : "");
        fprintf(f, "Taken now:    %s\n", show_str(check, "reason", ""));
        if (json_object_get_boolean(member(check, "revoked_current")))
                fprintf(f, "Warning:      this machine's release is revoked\n");
        if (member(check, "notes"))
                fprintf(f, "Notes:        %s\n", show_str(check, "notes", ""));
}
