/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fetchanswer.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define ERRNO_MAX 4095

static const char *member(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                ? json_object_get_string(v)
                : NULL;
}

/* The child's own failure: its errno, which the agent maps to a refusal or not, and its words. */
static int child_error(json_object *o, struct update_refusal *why) {
        json_object *e;
        int err = json_object_object_get_ex(o, "errno", &e) ? json_object_get_int(e) : EIO;
        const char *words = member(o, "error");
        /* Negated below: an int that is no errno (INT_MIN above all) is not taken as one. */
        if (err <= 0 || err > ERRNO_MAX)
                err = EIO;
        /* The child's words, shown as they are: it sent text, nothing else is taken. */
        snprintf(why->reason, sizeof why->reason, "%s", words ? words : "");
        why->error = -err;
        return -err;
}

static int judge_manifest(const struct update_trust *t, json_object *o, const char *manifest,
                          struct fetch_answer *ret, struct update_refusal *why) {
        json_object *sig = json_object_object_get(o, "signature");
        const char *mirror = member(o, "mirror");
        size_t len = strlen(manifest);
        int r = update_verify(t, manifest, len, sig ? json_object_get_string(sig) : NULL, &ret->manifest,
                              why);
        if (r < 0)
                return r;
        ret->mirror = mirror ? strdup_or_die(mirror) : NULL;
        ret->text = strdup_or_die(manifest);
        ret->signature = strdup_or_die(json_object_get_string(sig));
        update_manifest_sha256(manifest, len, ret->sha256);
        return 0;
}

int fetch_answer_judge(const struct update_trust *t, const char *text, struct fetch_answer *ret,
                       struct update_refusal *why) {
        json_object *o = json_tokener_parse(text);
        struct fetch_answer a = { 0 };
        int r = -ENODATA;
        if (json_object_is_type(o, json_type_object)) {
                const char *manifest = member(o, "manifest");
                r = manifest ? judge_manifest(t, o, manifest, &a, why) : child_error(o, why);
        }
        json_object_put(o);
        if (r == 0)
                *ret = a;
        return r;
}

void fetch_answer_free(struct fetch_answer *a) {
        manifest_free(&a->manifest);
        free(a->mirror);
        free(a->text);
        free(a->signature);
        *a = (struct fetch_answer) { 0 };
}
