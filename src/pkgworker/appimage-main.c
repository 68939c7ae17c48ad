/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-pkg-appimage: the AppImage source of koompi-agent, one request per run, answering in
 * the protocol of koompi-agent(8). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "integrate.h"
#include "pkgargs.h"
#include "pkgconf.h"
#include "util.h"
#include "workerline.h"
#include "workermain.h"

/* info of a file or URL not installed: what its name says (the payload is read at install). */
static json_object *target_item(const char *target, const char *name) {
        struct stat st;
        json_object *o = json_object_new_object(), *facts = json_object_new_object();
        bool file = target[0] == '/';
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "id", json_object_new_string(name));
        json_object_object_add(o, "version", json_object_new_string(""));
        json_object_object_add(
                o, "summary", json_object_new_string(file ? "a local AppImage" : "an AppImage from the web"));
        json_object_object_add(o, "source", json_object_new_string("appimage"));
        json_object_object_add(o, "download_size", json_object_new_int64(0));
        json_object_object_add(
                o, "installed_size",
                json_object_new_int64(file && stat(target, &st) == 0 ? (int64_t)st.st_size : 0));
        json_object_object_add(o, "installed", json_object_new_boolean(false));
        json_object_object_add(facts, "type", json_object_new_int(2));
        json_object_object_add(o, "facts", facts);
        return o;
}

static int do_info(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        const struct pkg_config *c = ctx;
        const char *target = a->arg;
        char name[PKG_NAME_MAX + 1];
        enum pkg_target t;
        if (pkg_target_parse(target, &t) < 0 || integrate_name(target, name, sizeof name) < 0)
                return workerline_why(why, -EINVAL, "'%.200s' is not an AppImage's name, path or URL",
                                      target);
        json_object *item = integrate_item(c, name);
        if (item) {
                *ret = item;
                return 0;
        }
        if (t == PKG_TARGET_NAME)
                return workerline_why(why, -ENOENT, "no AppImage named %s is installed", name);
        if (t == PKG_TARGET_FILE && access(target, R_OK) < 0)
                return workerline_why(why, -errno, "%.200s: %s", target, strerror(errno));
        *ret = target_item(target, name);
        return 0;
}

/* The result of install and remove. */
static json_object *named(const char *name) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "version", json_object_new_string(""));
        return o;
}

static int do_install(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        char name[PKG_NAME_MAX + 1];
        enum pkg_target t;
        if (pkg_target_parse(a->arg, &t) < 0 || t == PKG_TARGET_NAME)
                return workerline_why(why, -EINVAL,
                                      "an AppImage is installed from its absolute path or URL, not '%.200s'",
                                      a->arg);
        int r = integrate_install(ctx, a->arg, name, sizeof name, why, WORKER_WHY_MAX);
        if (r < 0)
                return r;
        *ret = named(name);
        return 0;
}

static int do_remove(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        if (!pkg_name_valid(a->arg))
                return workerline_why(why, -EINVAL, "'%.200s' is not an app name", a->arg);
        int r = integrate_remove(ctx, a->arg, why, WORKER_WHY_MAX);
        if (r < 0)
                return r;
        *ret = named(a->arg);
        return 0;
}

static int do_list(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        *ret = integrate_list(ctx, NULL);
        return 0;
}

static int do_search(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        *ret = integrate_list(ctx, a->arg);
        return 0;
}

static const struct worker_verb verbs[] = {
        { "list", 0, do_list },       { "search", 1, do_search }, { "info", 1, do_info },
        { "install", 1, do_install }, { "remove", 1, do_remove },
};

int main(int argc, char **argv) {
        static const struct pkgworker w = {
                .usage =
                        "Usage: koompi-pkg-appimage [--config FILE] search TEXT | info NAME|FILE|URL | list |\n"
                        "                           install FILE|URL | remove NAME\n",
                .name = "koompi-pkg-appimage",
                .verbs = verbs,
                .n_verbs = ELEMENTSOF(verbs),
        };
        umask(022);
        return pkgworker_main(&w, argc, argv);
}
