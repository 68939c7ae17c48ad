/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "answer.h"

#include <stdarg.h>
#include <stdio.h>

static void say(json_object *line) {
        puts(json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(stdout);
        json_object_put(line);
}

void answer_progress(unsigned done, unsigned total, const char *text) {
        json_object *p = json_object_new_object(), *line = json_object_new_object();
        json_object_object_add(p, "done", json_object_new_int64(done));
        json_object_object_add(p, "total", json_object_new_int64(total));
        json_object_object_add(p, "text", json_object_new_string(text));
        json_object_object_add(line, "progress", p);
        say(line);
}

int answer_result(json_object *value) {
        json_object *line = json_object_new_object();
        json_object_object_add(line, "result", value);
        say(line);
        return 0;
}

int answer_error(int r, const char *fmt, ...) {
        char text[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        json_object *line = json_object_new_object();
        json_object_object_add(line, "error", json_object_new_string(text));
        json_object_object_add(line, "errno", json_object_new_int(r < 0 ? -r : r));
        say(line);
        return 1;
}
