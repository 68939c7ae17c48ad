/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "outcomes.h"

#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>

#include "manifest.h"
#include "rollout.h"
#include "util.h"

#define REPORT_ID_MESSAGE "koompi-report"

int outcome_report_id(const char *machine_id_file, char ret[OUTCOMES_REPORT_ID_HEX]) {
        uint8_t id[ROLLOUT_APP_ID_BYTES];
        int r = rollout_machine_hmac_file(machine_id_file, REPORT_ID_MESSAGE, id);
        if (r < 0)
                return r;
        sodium_bin2hex(ret, OUTCOMES_REPORT_ID_HEX, id, sizeof id);
        return 0;
}

bool outcome_known(const char *s) {
        return s &&
                (streq(s, "taken") || streq(s, "applied") || streq(s, "booted-good") ||
                 streq(s, "rolled-back"));
}

char *outcome_line(const char *id, const char *version, const char *outcome, int64_t time) {
        char when[32];
        if (!outcome_known(outcome))
                return NULL;
        update_time_format(time, when, sizeof when);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(id));
        json_object_object_add(o, "version", json_object_new_string(version));
        json_object_object_add(o, "outcome", json_object_new_string(outcome));
        json_object_object_add(o, "time", json_object_new_string(when));
        char *line = strdup_or_die(
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return line;
}

size_t outcome_count_lines(const char *text) {
        size_t n = 0;
        for (const char *p = text; p && *p; n++) {
                p = strchr(p, '\n');
                p = p ? p + 1 : NULL;
        }
        return n;
}

/* The text after its first n lines. */
static const char *skip_lines(const char *text, size_t n) {
        for (; n > 0 && *text; n--) {
                const char *nl = strchr(text, '\n');
                text = nl ? nl + 1 : text + strlen(text);
        }
        return text;
}

static int make_parent(const char *path) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        return mkdir_p(dirname(dir), 0755);
}

int outcome_append(const char *path, const char *line, size_t max_bytes) {
        _cleanup_free_ char *old = NULL, *text = NULL;
        size_t len = 0;
        int r = read_file(path, &old, &len);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == -ENOENT && (r = make_parent(path)) < 0)
                return r;
        bool newline = len > 0 && old[len - 1] != '\n';
        if (asprintf(&text, "%s%s%s\n", old ? old : "", newline ? "\n" : "", line) < 0)
                return -ENOMEM;
        const char *keep = text;
        while (strlen(keep) > max_bytes && strchr(keep, '\n'))
                keep = skip_lines(keep, 1);
        return write_file_atomic(path, keep, strlen(keep), 0644);
}

int outcome_drop_first(const char *path, size_t n) {
        _cleanup_free_ char *text = NULL;
        int r = read_file(path, &text, NULL);
        if (r < 0)
                return r;
        const char *rest = skip_lines(text, n);
        return write_file_atomic(path, rest, strlen(rest), 0644);
}
