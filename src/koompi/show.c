/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text for people; --json hands the agent's answer through unchanged. */
#include "show.h"

#include <inttypes.h>

const char *show_str(json_object *o, const char *key, const char *fallback) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return fallback;
        return json_object_get_string(v);
}

static json_object *member(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static size_t length(json_object *array) {
        return json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
}

void show_health(FILE *f, json_object *health) {
        const char *reason = show_str(health, "reason", "");
        json_object *checks = member(health, "checks");
        fprintf(f, "Health:      %s%s%s\n", show_str(health, "state", "unknown"), *reason ? ": " : "",
                reason);
        for (size_t i = 0; i < length(checks); i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                const char *why = show_str(c, "reason", "");
                fprintf(f, "  %-9s %-24s %-9s %s\n",
                        json_object_get_boolean(member(c, "required")) ? "required" : "wanted",
                        show_str(c, "name", "?"), show_str(c, "state", "?"), why);
        }
        if (!length(checks))
                fprintf(f, "  no check has run this boot\n");
}

void show_alerts(FILE *f, json_object *alerts) {
        if (!length(alerts))
                fprintf(f, "Alerts:      none\n");
        for (size_t i = 0; i < length(alerts); i++) {
                json_object *a = json_object_array_get_idx(alerts, i);
                fprintf(f, "%s #%" PRId64 " %s: %s\n",
                        i ? "            " : "Alerts:     ", json_object_get_int64(member(a, "seq")),
                        show_str(a, "kind", "?"), show_str(a, "message", ""));
        }
}

void show_status(FILE *f, json_object *status) {
        json_object *problems = member(status, "problems");
        fprintf(f, "Agent:       koompi-agent %s\n", show_str(status, "version", "?"));
        fprintf(f, "Booted root: %s\n",
                *show_str(status, "booted_root", "") ? show_str(status, "booted_root", "") : "unknown");
        fprintf(f, "Next root:   %s\n",
                *show_str(status, "next_root", "") ? show_str(status, "next_root", "") : "unknown");
        if (*show_str(status, "update_pending", ""))
                fprintf(f, "Update:      %s\n", show_str(status, "update_pending", ""));
        show_health(f, member(status, "health"));
        show_alerts(f, member(status, "alerts"));
        for (size_t i = 0; i < length(problems); i++)
                fprintf(f, "%s %s\n", i ? "            " : "Problems:   ",
                        json_object_get_string(json_object_array_get_idx(problems, i)));
}
