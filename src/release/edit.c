/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "edit.h"

#include <errno.h>

#include "manifest.h"
#include "util.h"

static int check(const char *text, size_t len, struct update_refusal *why) {
        struct manifest m;
        int r = manifest_parse(text, len, &m, why);
        if (r == 0)
                manifest_free(&m);
        return r;
}

int release_doc_load(const char *path, json_object **ret, struct update_refusal *why) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file(path, &text, &len);
        if (r < 0)
                return update_refuse(why, r, "%s cannot be read: %s", path, strerror(-r));
        r = check(text, len, why);
        if (r < 0)
                return r;
        *ret = json_tokener_parse(text);
        return *ret ? 0 : update_refuse(why, -EBADMSG, "%s: malformed JSON", path);
}

int release_doc_save(const char *path, json_object *doc, struct update_refusal *why) {
        size_t len;
        const char *text = json_object_to_json_string_length(
                doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
                &len);
        _cleanup_free_ char *line = NULL;
        if (asprintf(&line, "%s\n", text) < 0)
                return -ENOMEM;
        int r = check(line, len + 1, why);
        if (r < 0)
                return r;
        r = write_file_atomic(path, line, len + 1, 0644);
        return r < 0 ? update_refuse(why, r, "%s could not be written: %s", path, strerror(-r)) : 0;
}

static json_object *time_string(int64_t t) {
        char buf[32];
        update_time_format(t, buf, sizeof buf);
        return json_object_new_string(buf);
}

static json_object *rollout_of(json_object *doc) {
        json_object *rollout;
        return json_object_object_get_ex(doc, "rollout", &rollout) &&
                        json_object_is_type(rollout, json_type_object)
                ? rollout
                : NULL;
}

const char *release_doc_string(json_object *doc, const char *key) {
        json_object *v;
        json_object *rollout = rollout_of(doc);
        if (json_object_object_get_ex(doc, key, &v) ||
            (rollout && json_object_object_get_ex(rollout, key, &v)))
                return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        return "";
}

int release_doc_renew(json_object *doc, int64_t now) {
        json_object *serial, *rollout = rollout_of(doc);
        int64_t issued, expires;
        if (!rollout || !json_object_object_get_ex(doc, "serial", &serial) ||
            update_time_parse(release_doc_string(doc, "issued"), &issued) < 0 ||
            update_time_parse(release_doc_string(doc, "expires"), &expires) < 0)
                return -EBADMSG;
        if (!json_object_object_get_ex(rollout, "started", NULL))
                json_object_object_add(rollout, "started", time_string(issued));
        json_object_object_add(doc, "serial", json_object_new_int64(json_object_get_int64(serial) + 1));
        json_object_object_add(doc, "issued", time_string(now));
        json_object_object_add(doc, "expires", time_string(now + (expires - issued)));
        return 0;
}

int release_doc_set_rollout(json_object *doc, unsigned percent, bool paused) {
        json_object *rollout = rollout_of(doc);
        if (!rollout)
                return -EBADMSG;
        json_object_object_add(rollout, "percent", json_object_new_int((int)percent));
        json_object_object_add(rollout, "paused", json_object_new_boolean(paused));
        return 0;
}

int release_doc_revoke(json_object *doc, const char *version) {
        json_object *list;
        if (!json_object_object_get_ex(doc, "revoked", &list) || !json_object_is_type(list, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(list); i++)
                if (streq(json_object_get_string(json_object_array_get_idx(list, i)), version))
                        return 0;
        return json_object_array_add(list, json_object_new_string(version)) < 0 ? -ENOMEM : 0;
}

int release_doc_set_optional(json_object *doc, const char *name) {
        json_object *list, *n;
        if (!json_object_object_get_ex(doc, "packages", &list) || !json_object_is_type(list, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *p = json_object_array_get_idx(list, i);
                if (json_object_object_get_ex(p, "name", &n) && streq(json_object_get_string(n), name))
                        return json_object_object_add(p, "optional", json_object_new_boolean(true)) < 0
                                ? -ENOMEM
                                : 0;
        }
        return -ENOENT;
}
