/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgshow.h"

#include <inttypes.h>
#include <stdbool.h>

#include "show.h"

static json_object *member(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static size_t length(json_object *array) {
        return json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
}

/* "52.3 MB", "800 kB", "unknown" for 0. */
static const char *size_text(int64_t bytes, char *buf, size_t size) {
        if (bytes <= 0)
                snprintf(buf, size, "unknown");
        else if (bytes >= 1000 * 1000)
                snprintf(buf, size, "%.1f MB", (double)bytes / 1e6);
        else
                snprintf(buf, size, "%" PRId64 " kB", (bytes + 999) / 1000);
        return buf;
}

void pkgshow_items(FILE *f, json_object *answer) {
        json_object *results = member(answer, "results"), *problems = member(answer, "problems");
        if (length(results) == 0)
                fprintf(f, "Nothing found.\n");
        for (size_t i = 0; i < length(results); i++) {
                json_object *it = json_object_array_get_idx(results, i);
                fprintf(f, "%-32s %-16s %-9s%s %s\n", show_str(it, "name", "?"), show_str(it, "version", ""),
                        show_str(it, "source", "?"),
                        json_object_get_boolean(member(it, "installed")) ? " [installed]" : "",
                        show_str(it, "summary", ""));
        }
        for (size_t i = 0; i < length(problems); i++)
                fprintf(stderr, "koompi: not searched: %s\n",
                        json_object_get_string(json_object_array_get_idx(problems, i)));
}

void pkgshow_plan(FILE *f, json_object *plan, bool removal) {
        char size[32];
        json_object *reasons = member(plan, "reasons");
        bool restart = json_object_get_boolean(member(plan, "needs_restart"));
        fprintf(f, "%s %s\n", show_str(plan, "name", "?"), show_str(plan, "version", ""));
        fprintf(f, "  From:     %s\n", show_str(plan, "why", "?"));
        if (*show_str(plan, "summary", ""))
                fprintf(f, "  About:    %s\n", show_str(plan, "summary", ""));
        if (!removal)
                fprintf(f, "  Download: %s\n",
                        size_text(json_object_get_int64(member(plan, "download_size")), size, sizeof size));
        fprintf(f, "  Restart:  %s\n",
                restart ? "needed: it lands in a new root, there after the next boot (the old root stays, bootable)"
                        : "not needed: it is there at once");
        fprintf(f, "  Risk:     %.2f%s\n", json_object_get_double(member(plan, "risk")),
                json_object_get_boolean(member(plan, "needs_confirmation"))
                        ? " (above 0.70: needs a confirmation)"
                        : "");
        for (size_t i = 0; i < length(reasons); i++) {
                json_object *r = json_object_array_get_idx(reasons, i);
                fprintf(f, "    +%.2f  %s\n", json_object_get_double(member(r, "weight")),
                        show_str(r, "text", ""));
        }
}
