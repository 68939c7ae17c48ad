/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "aurconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pkgconf.h"
#include "util.h"
#include "workerline.h"

/* The URL without the slashes it may end in, so paths join with exactly one. */
static char *trimmed_url(const char *url) {
        char *s = strdup_or_die(url);
        for (size_t n = strlen(s); n > 0 && s[n - 1] == '/'; n--)
                s[n - 1] = '\0';
        return s;
}

int aurconf_load(struct aur_config *c, const char *path, char *why) {
        /* A build as the wrong user, or from the wrong AUR, is worse than none. */
        static const char *const strict[] = { "user", "aur_url", NULL };
        const char *p = path ? path : AURCONF_DEFAULT_PATH, *bad = "";
        struct pkg_config pc;
        pkgconf_defaults(&pc);
        int r = pkgconf_load_strict(&pc, p, strict, &bad);
        if (r == -ENOENT)
                r = 0;
        if (r == -EINVAL)
                snprintf(why, WORKER_WHY_MAX, "%s: [packages] %s", p,
                         streq(bad, "user") ? "user is empty or has a space"
                                            : "aur_url is not an http or https URL");
        else if (r < 0) {
                snprintf(why, WORKER_WHY_MAX, "%s could not be read as INI", p);
                r = -EINVAL;
        } else {
                c->user = strdup_or_die(pc.user);
                c->aur_url = trimmed_url(pc.aur_url);
        }
        pkgconf_free(&pc);
        return r;
}

void aurconf_free(struct aur_config *c) {
        free(c->user);
        free(c->aur_url);
        c->user = c->aur_url = NULL;
}
