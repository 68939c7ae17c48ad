/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-pkg-pacman: the repositories' side of koompi-agent's search, info and list, read with
 * pacman from the root's own databases (never refreshed: they are the pinned snapshot the
 * release was built from). Installing and removing go through koompi-boot update, in a new
 * root, and are not this program's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include "pacparse.h"
#include "pkgargs.h"
#include "pkgconf.h"
#include "rootpacman.h"
#include "tool.h"
#include "util.h"
#include "workerline.h"
#include "workermain.h"

#define OUTPUT_MAX (16 * 1024 * 1024)

/* pacman ARGS on the configured root, LC_ALL=C; its output in *ret (free it). Its exit status
 * or a negative errno. */
static int pacman(const struct pkg_config *c, const char *op, const char *arg, char **ret) {
        char conf[PATH_MAX], dbpath[PATH_MAX];
        bool other_root = !streq(c->pacman_root, "/");
        snprintf(conf, sizeof conf, "%s%s", other_root ? c->pacman_root : "", c->pacman_conf);
        /* The root's own database (rootpacman.h): on a booted machine /var is @var's. */
        int r = root_pacman_dbpath(c->pacman_root, dbpath, sizeof dbpath);
        if (r < 0)
                return r;
        char *argv[] = { (char *)"/usr/bin/pacman",
                         (char *)"--config",
                         conf,
                         (char *)op,
                         (char *)arg,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL };
        size_t n = arg ? 5 : 4;
        if (other_root) {
                argv[n++] = (char *)"--root";
                argv[n++] = (char *)c->pacman_root;
        }
        /* The running root without one of its own: where its pacman.conf says. */
        if (other_root || !streq(dbpath, "/" ROOT_PACMAN_DBPATH_OLD)) {
                argv[n++] = (char *)"--dbpath";
                argv[n++] = dbpath;
        }
        return tool_capture(argv, OUTPUT_MAX, ret);
}

static int info(const struct pkg_config *c, const char *name, json_object **ret, char *why) {
        _cleanup_free_ char *si = NULL, *qi = NULL;
        if (!pkg_name_valid(name))
                return workerline_why(why, -EINVAL, "'%.200s' is not a package name", name);
        int rs = pacman(c, "-Si", name, &si), rq = pacman(c, "-Qi", name, &qi);
        if (rs == 0 && pacman_parse_info(si, rq == 0, ret) == 0)
                return 0;
        if (rq == 0 && pacman_parse_info(qi, true, ret) == 0)
                return 0;
        if (rs < 0)
                return workerline_why(why, rs, "pacman could not be run: %s", strerror(-rs));
        return workerline_why(why, -ENOENT, "no package %s in the repositories of this release", name);
}

static int items(const struct pkg_config *c, const char *op, const char *arg, json_object **ret, char *why) {
        _cleanup_free_ char *out = NULL;
        int r = pacman(c, op, arg, &out);
        if (r < 0)
                return workerline_why(why, r, "pacman could not be run: %s", strerror(-r));
        /* Nothing found is exit status 1 with no output, not an error. */
        if (r > 1 || (r == 1 && out[0]))
                return workerline_why(why, -EIO, "pacman %s failed (exit status %d)", op, r);
        *ret = streq(op, "-Ss") ? pacman_parse_search(out) : pacman_parse_query(out);
        return 0;
}

static int do_list(void *c, const struct worker_args *a, json_object **ret, char *why) {
        return items(c, "-Qe", NULL, ret, why);
}

static int do_search(void *c, const struct worker_args *a, json_object **ret, char *why) {
        if (!pkg_search_valid(a->arg))
                return workerline_why(why, -EINVAL, "'%.200s' is not a search text", a->arg);
        return items(c, "-Ss", a->arg, ret, why);
}

static int do_info(void *c, const struct worker_args *a, json_object **ret, char *why) {
        return info(c, a->arg, ret, why);
}

static int do_elsewhere(void *c, const struct worker_args *a, json_object **ret, char *why) {
        return workerline_why(why, -EINVAL,
                              "repository packages are installed and removed in a new root by the agent");
}

static const struct worker_verb verbs[] = {
        { "list", 0, do_list },         { "search", 1, do_search },    { "info", 1, do_info },
        { "install", 1, do_elsewhere }, { "remove", 1, do_elsewhere }, { "install", 0, do_elsewhere },
        { "remove", 0, do_elsewhere },
};

int main(int argc, char **argv) {
        static const struct pkgworker w = {
                .usage = "Usage: koompi-pkg-pacman [--config FILE] search TEXT | info NAME | list\n",
                .name = "koompi-pkg-pacman",
                .verbs = verbs,
                .n_verbs = ELEMENTSOF(verbs),
        };
        return pkgworker_main(&w, argc, argv);
}
