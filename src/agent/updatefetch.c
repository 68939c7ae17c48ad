/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The child of a release check: no root, no group, then the mirrors; what it found goes back
 * to the agent as one JSON object on a pipe, and nothing else of it is trusted. */
#include "updatefetch.h"

#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>

#include "privs.h"
#include "release-fetch.h"
#include "strv.h"
#include "util.h"

/* The longest a child may take, all mirrors together. */
#define CHILD_SECONDS 300

static json_object *error_answer(int r, const char *reason) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "error", json_object_new_string(reason));
        json_object_object_add(o, "errno", json_object_new_int(-r));
        return o;
}

static json_object *found_answer(const struct release_fetched *f) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "mirror", json_object_new_string(f->mirror));
        json_object_object_add(o, "manifest", json_object_new_string_len(f->manifest, (int)f->manifest_len));
        json_object_object_add(o, "signature", f->signature ? json_object_new_string(f->signature) : NULL);
        return o;
}

void updatefetch_child(int fd, const char *user, const char *mirrors, const struct update_trust *t,
                       const struct fetch_limits *lim) {
        struct update_refusal why = { 0 };
        struct release_fetched f = { 0 };
        json_object *o;
        size_t len;
        alarm(CHILD_SECONDS);
        int r = drop_root(user);
        if (r < 0)
                o = error_answer(
                        r, "the check could not drop root: no such user in [update] user, or it is root");
        else {
                char **list = strv_split(mirrors);
                r = release_fetch(list, t, lim, &f, &why);
                o = r < 0 ? error_answer(r, why.reason) : found_answer(&f);
                strv_free(list);
        }
        const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        _exit(write_full(fd, text, len) < 0 ? 1 : 0);
}
