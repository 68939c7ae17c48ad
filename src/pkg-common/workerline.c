/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "workerline.h"

#include <errno.h>
#include <stdarg.h>

static json_object *string_or_empty(const char *s) {
        return json_object_new_string(s ? s : "");
}

json_object *workerline_item(const struct worker_item *it) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "name", string_or_empty(it->name));
        json_object_object_add(o, "id", string_or_empty(it->id));
        json_object_object_add(o, "version", string_or_empty(it->version));
        json_object_object_add(o, "summary", string_or_empty(it->summary));
        json_object_object_add(o, "source", string_or_empty(it->source));
        json_object_object_add(o, "download_size", json_object_new_int64((int64_t)it->download_size));
        json_object_object_add(o, "installed", json_object_new_boolean(it->installed));
        return o;
}

/* One object as one line: the agent reads line by line. */
static int put_line(FILE *f, json_object *o) {
        const char *text =
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = fprintf(f, "%s\n", text) < 0 || fflush(f) != 0 ? -EIO : 0;
        json_object_put(o);
        return r;
}

int workerline_why(char *why, int err, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, WORKER_WHY_MAX, fmt, ap);
        va_end(ap);
        return err;
}

void workerline_progress(FILE *f, uint64_t done, uint64_t total, const char *text) {
        json_object *p = json_object_new_object(), *o = json_object_new_object();
        json_object_object_add(p, "done", json_object_new_int64((int64_t)done));
        json_object_object_add(p, "total", json_object_new_int64((int64_t)total));
        json_object_object_add(p, "text", string_or_empty(text));
        json_object_object_add(o, "progress", p);
        (void)put_line(f, o);
}

int workerline_result(FILE *f, json_object *r) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "result", r);
        return put_line(f, o);
}

int workerline_error(FILE *f, int err, const char *why) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "error", string_or_empty(why));
        json_object_object_add(o, "errno", json_object_new_int(err < 0 ? -err : EIO));
        (void)put_line(f, o);
        return workerline_exit_status(err < 0 ? err : -EIO);
}

int workerline_answer(FILE *f, int r, json_object *result, const char *why) {
        if (r < 0)
                return workerline_error(f, r, why);
        return workerline_result(f, result) < 0 ? workerline_exit_status(-EIO) : 0;
}

int workerline_exit_status(int err) {
        switch (err) {
        case 0:
                return 0;
        case -EINVAL:
                return 1;
        case -ENOENT:
        case -ENODATA:
        case -EBADMSG:
        case -ENOMEDIUM:
                return 2;
        case -EPERM:
        case -EBUSY:
        case -EEXIST:
        case -ENOTEMPTY:
        case -ECANCELED:
                return 3;
        case -ENOSPC:
                return 4;
        case -ECHILD:
                return 6;
        default:
                return 5;
        }
}
