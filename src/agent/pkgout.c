/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgout.h"

#include <stdarg.h>
#include <unistd.h>

#include "pkgline.h"

static void say(struct pkgjob_out *o, json_object *line) {
        fprintf(o->f, "%s\n",
                json_object_to_json_string_ext(line,
                                               JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(o->f);
        json_object_put(line);
}

void pkgout_progress(struct pkgjob_out *o, const char *fmt, ...) {
        char text[PKG_TEXT_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        json_object *p = json_object_new_object(), *line = json_object_new_object();
        o->step++;
        json_object_object_add(p, "done", json_object_new_int((int)o->step));
        json_object_object_add(p, "total", json_object_new_int(0));
        json_object_object_add(p, "text", json_object_new_string(text));
        json_object_object_add(line, "progress", p);
        say(o, line);
}

void pkgout_finish(struct pkgjob_out *o, int r, const char *error, json_object *value) {
        json_object *line = json_object_new_object();
        if (r < 0) {
                json_object_object_add(line, "error", json_object_new_string(error));
                json_object_object_add(line, "errno", json_object_new_int(-r));
                if (value)
                        json_object_object_add(line, "confirm", value);
        } else
                json_object_object_add(line, "result", value);
        say(o, line);
        fclose(o->f);
        _exit(r < 0 ? 1 : 0);
}
