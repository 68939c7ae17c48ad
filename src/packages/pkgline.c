/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pkgargs.h"
#include "util.h"

/* text with control characters as spaces, at most size - 1 bytes (cut at a character's start). */
static void copy_text(char *buf, size_t size, const char *text) {
        size_t n = 0;
        for (; text && text[n] && n + 1 < size; n++)
                buf[n] = (unsigned char)text[n] < 0x20 || text[n] == 0x7f ? ' ' : text[n];
        while (n > 0 && n + 1 >= size && ((unsigned char)buf[n] & 0xc0) == 0x80)
                n--;
        buf[n] = '\0';
}

json_object *pkg_json_get(json_object *o, const char *key, json_type type) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

static bool get_u32(json_object *o, const char *key, uint32_t *ret) {
        json_object *v = pkg_json_get(o, key, json_type_int);
        int64_t n = v ? json_object_get_int64(v) : -1;
        if (n < 0 || n > UINT32_MAX)
                return false;
        *ret = (uint32_t)n;
        return true;
}

static int parse_error(json_object *o, struct pkg_line *l) {
        json_object *e = pkg_json_get(o, "errno", json_type_int),
                    *text = pkg_json_get(o, "error", json_type_string);
        int64_t n = e ? json_object_get_int64(e) : 0;
        if (!text || n <= 0 || n > 4095)
                return -EBADMSG;
        l->kind = PKG_LINE_ERROR;
        l->error = -(int)n;
        copy_text(l->text, sizeof l->text, json_object_get_string(text));
        return 0;
}

static int parse_progress(json_object *p, struct pkg_line *l) {
        json_object *text = pkg_json_get(p, "text", json_type_string);
        if (!get_u32(p, "done", &l->done) || !get_u32(p, "total", &l->total) || !text)
                return -EBADMSG;
        l->kind = PKG_LINE_PROGRESS;
        copy_text(l->text, sizeof l->text, json_object_get_string(text));
        return 0;
}

int pkg_line_parse(const char *line, struct pkg_line *ret) {
        struct pkg_line l = { 0 };
        json_object *o = strlen(line) < PKG_LINE_MAX ? json_tokener_parse(line) : NULL, *v;
        int r = -EBADMSG;
        if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) > 2)
                goto out;
        if ((v = pkg_json_get(o, "progress", json_type_object)))
                r = parse_progress(v, &l);
        else if (json_object_object_get_ex(o, "result", &v) && json_object_object_length(o) == 1) {
                l.kind = PKG_LINE_RESULT;
                l.result = json_object_get(v);
                r = 0;
        } else if (pkg_json_get(o, "error", json_type_string))
                r = parse_error(o, &l);
out:
        json_object_put(o);
        if (r == 0)
                *ret = l;
        return r;
}

void pkg_line_done(struct pkg_line *l) {
        json_object_put(l->result);
        l->result = NULL;
}

/* A printable string of at most max bytes (UTF-8 allowed), copied into out under key. */
bool pkg_take_text(json_object *in, json_object *out, const char *key, size_t max, bool optional) {
        json_object *v = pkg_json_get(in, key, json_type_string);
        char buf[PKG_TEXT_MAX];
        if (!v)
                return optional && !json_object_object_get_ex(in, key, NULL);
        if ((size_t)json_object_get_string_len(v) > max || max >= sizeof buf)
                return false;
        copy_text(buf, sizeof buf, json_object_get_string(v));
        json_object_object_add(out, key, json_object_new_string(buf));
        return true;
}

bool pkg_take_u64(json_object *in, json_object *out, const char *key) {
        json_object *v = pkg_json_get(in, key, json_type_int);
        int64_t n = v ? json_object_get_int64(v) : 0;
        if (n < 0 || (!v && json_object_object_get_ex(in, key, NULL)))
                return false;
        json_object_object_add(out, key, json_object_new_int64(n));
        return true;
}

/* A name as the source spells it: the package name checks, or for an AppImage any file name
 * of printable characters without a '/'. */
static bool name_ok(const char *s, enum pkg_source src) {
        if (src != PKG_APPIMAGE)
                return pkg_name_valid(s);
        return s && *s && s[0] != '.' && strlen(s) <= PKG_NAME_MAX && !strchr(s, '/');
}

int pkg_item_clean(json_object *in, enum pkg_source src, json_object **ret) {
        json_object *out = json_object_new_object(), *name = pkg_json_get(in, "name", json_type_string),
                    *source = pkg_json_get(in, "source", json_type_string),
                    *installed = pkg_json_get(in, "installed", json_type_boolean);
        json_object *id = pkg_json_get(in, "id", json_type_string);
        bool ok = json_object_is_type(in, json_type_object) && name &&
                name_ok(json_object_get_string(name), src) &&
                (!id || name_ok(json_object_get_string(id), src)) && source &&
                streq(json_object_get_string(source), pkg_source_name(src)) &&
                pkg_take_text(in, out, "name", PKG_NAME_MAX, false) &&
                pkg_take_text(in, out, "id", PKG_NAME_MAX, true) &&
                pkg_take_text(in, out, "version", 64, true) && pkg_take_text(in, out, "summary", 400, true) &&
                pkg_take_u64(in, out, "download_size");
        if (!ok) {
                json_object_put(out);
                return -EBADMSG;
        }
        json_object_object_add(out, "source", json_object_new_string(pkg_source_name(src)));
        json_object_object_add(out, "installed",
                               json_object_new_boolean(installed && json_object_get_boolean(installed)));
        *ret = out;
        return 0;
}

int pkg_items_clean(json_object *r, enum pkg_source src, json_object **ret) {
        size_t n = json_object_is_type(r, json_type_array) ? json_object_array_length(r) : SIZE_MAX;
        if (n > PKG_ITEMS_MAX)
                return -EBADMSG;
        json_object *out = json_object_new_array(), *item;
        for (size_t i = 0; i < n; i++) {
                if (pkg_item_clean(json_object_array_get_idx(r, i), src, &item) < 0) {
                        json_object_put(out);
                        return -EBADMSG;
                }
                json_object_array_add(out, item);
        }
        *ret = out;
        return 0;
}

int pkg_done_clean(json_object *r, enum pkg_source src, json_object **ret) {
        json_object *out = json_object_new_object(), *name = pkg_json_get(r, "name", json_type_string);
        if (!name || !name_ok(json_object_get_string(name), src) ||
            !pkg_take_text(r, out, "name", PKG_NAME_MAX, false) ||
            !pkg_take_text(r, out, "version", 64, true)) {
                json_object_put(out);
                return -EBADMSG;
        }
        *ret = out;
        return 0;
}
