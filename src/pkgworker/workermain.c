/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "workermain.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pkgconf.h"
#include "workerline.h"

static int bad_usage(const struct pkgworker *w, int r) {
        fputs(w->usage, stderr);
        if (r == -ECANCELED)
                return 0;
        char why[WORKER_WHY_MAX];
        snprintf(why, sizeof why, "%s: bad usage", w->name);
        return workerline_error(stdout, -EINVAL, why);
}

int pkgworker_main(const struct pkgworker *w, int argc, char **argv) {
        char why[WORKER_WHY_MAX] = "";
        struct worker_args a;
        struct pkg_config c;
        json_object *result = NULL;
        int r = workerargs_parse(argc, argv, &a);
        const struct worker_verb *v = r < 0 || a.out ? NULL : workerargs_verb(w->verbs, w->n_verbs, &a);
        if (!v)
                return bad_usage(w, r);
        const char *config = a.config ? a.config : PKGWORKER_DEFAULT_CONFIG;
        pkgconf_defaults(&c);
        r = pkgconf_load(&c, config);
        if (r == -ENOENT)
                r = 0;
        else if (r < 0)
                workerline_why(why, r, "%s could not be read: %s", config, strerror(-r));
        if (r == 0)
                r = v->run(&c, &a, &result, why);
        pkgconf_free(&c);
        return workerline_answer(stdout, r, result, why);
}
