/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "revoke.h"

#include <stdio.h>

#include "strv.h"
#include "util.h"

bool revoke_listed(char *const *revoked, const char *release) {
        return release && *release && strv_contains(revoked, release);
}

static const struct revoke_root *booted_root(const struct revoke_root *roots, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (roots[i].booted)
                        return &roots[i];
        return NULL;
}

/* The newest good root made from no revoked release, other than the booted one. */
static const struct revoke_root *fallback_root(const struct revoke_root *roots, size_t n,
                                               char *const *revoked) {
        for (size_t i = 0; i < n; i++)
                if (!roots[i].booted && roots[i].good && !revoke_listed(revoked, roots[i].release))
                        return &roots[i];
        return NULL;
}

static const struct revoke_root *find_root(const struct revoke_root *roots, size_t n, const char *name) {
        for (size_t i = 0; name && i < n; i++)
                if (streq(roots[i].name, name))
                        return &roots[i];
        return NULL;
}

void revoke_decide(const struct revoke_root *roots, size_t n, char *const *revoked, const char *next,
                   struct revoke_decision *ret) {
        const struct revoke_root *b = booted_root(roots, n), *t, *nx = find_root(roots, n, next);
        *ret = (struct revoke_decision) { .action = REVOKE_NOTHING };
        if (!b || !revoke_listed(revoked, b->release))
                return;
        ret->booted = b->name;
        ret->release = b->release;
        t = fallback_root(roots, n, revoked);
        /* After a rollback the booted root stays revoked until the machine restarts: the root
         * booted next shows the work is done, and the same check later changes nothing again. */
        if (nx && nx != b && nx->good && !revoke_listed(revoked, nx->release)) {
                ret->action = REVOKE_DONE;
                ret->target = nx->name;
                return;
        }
        if (!t) {
                ret->action = REVOKE_STUCK;
                snprintf(
                        ret->text, sizeof ret->text,
                        "release %s of the booted root %s was revoked, and no good root of another release is "
                        "left to go back to: nothing was changed",
                        b->release, b->name);
                return;
        }
        ret->action = REVOKE_ROLLBACK;
        ret->target = t->name;
        snprintf(ret->text, sizeof ret->text,
                 "release %s of the booted root %s was revoked: going back to %s%s%s%s at the next boot",
                 b->release, b->name, t->name, t->release && *t->release ? " (release " : "",
                 t->release && *t->release ? t->release : "", t->release && *t->release ? ")" : "");
}
