/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "aurconf.h"

#include <errno.h>
#include <iniparser.h>
#include <stdio.h>
#include <string.h>

#include "workerline.h"
#include "util.h"

/* The URL without the slashes it may end in, so paths join with exactly one. */
static char *trimmed_url(const char *url) {
        char *s = strdup_or_die(url);
        for (size_t n = strlen(s); n > 0 && s[n - 1] == '/'; n--)
                s[n - 1] = '\0';
        return s;
}

int aurconf_load(struct aur_config *c, const char *path, char *why) {
        const char *p = path ? path : AURCONF_DEFAULT_PATH;
        const char *user = AURCONF_DEFAULT_USER, *url = AURCONF_DEFAULT_URL;
        dictionary *d = NULL;
        if (access(p, F_OK) == 0) {
                d = iniparser_load(p);
                if (!d) {
                        snprintf(why, WORKER_WHY_MAX, "%s could not be read as INI", p);
                        return -EINVAL;
                }
                user = iniparser_getstring(d, "packages:user", user);
                url = iniparser_getstring(d, "packages:aur_url", url);
        }
        int r = 0;
        if (!*user) {
                snprintf(why, WORKER_WHY_MAX, "%s: [packages] user is empty", p);
                r = -EINVAL;
        } else if (!startswith(url, "http://") && !startswith(url, "https://")) {
                snprintf(why, WORKER_WHY_MAX, "%s: [packages] aur_url is not an http or https URL", p);
                r = -EINVAL;
        } else {
                c->user = strdup_or_die(user);
                c->aur_url = trimmed_url(url);
        }
        if (d)
                iniparser_freedict(d);
        return r;
}

void aurconf_free(struct aur_config *c) {
        free(c->user);
        free(c->aur_url);
        c->user = c->aur_url = NULL;
}
