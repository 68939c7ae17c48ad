/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reports.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>

#include "outcomes.h"
#include "strv.h"
#include "util.h"

static const char *member(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                ? json_object_get_string(v)
                : NULL;
}

/* Adds one line's machine to taken (and failed); 1 when the line was not a report. */
static int count_line(const char *line, const char *version, char ***taken, char ***failed) {
        json_object *o = json_tokener_parse(line);
        const char *id = member(o, "id"), *v = member(o, "version"), *outcome = member(o, "outcome");
        int r = 1;
        if (id && *id && v && outcome_known(outcome)) {
                r = 0;
                if (streq(v, version) && !strv_contains(*taken, id))
                        r = strv_extend(taken, id);
                if (r >= 0 && streq(v, version) && streq(outcome, "rolled-back") &&
                    !strv_contains(*failed, id))
                        r = strv_extend(failed, id);
        }
        json_object_put(o);
        return r;
}

int reports_count(const char *reports, const char *version, unsigned *ret_taken, unsigned *ret_failed,
                  unsigned *ret_skipped) {
        char **taken = NULL, **failed = NULL;
        unsigned skipped = 0;
        int r = 0;
        for (const char *p = reports; r >= 0 && p && *p;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, n);
                if (!line)
                        r = -ENOMEM;
                else if (line[strspn(line, " \t\r")])
                        r = count_line(line, version, &taken, &failed);
                skipped += r == 1;
                p += n + (p[n] == '\n');
        }
        if (r >= 0) {
                *ret_taken = strv_length(taken);
                *ret_failed = strv_length(failed);
                if (ret_skipped)
                        *ret_skipped = skipped;
        }
        strv_free(taken);
        strv_free(failed);
        return r < 0 ? r : 0;
}
