/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-pkg-appimage: the AppImage source of koompi-agent, one request per run, answering in
 * the protocol of koompi-agent(8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "answer.h"
#include "integrate.h"
#include "pkgargs.h"
#include "pkgconf.h"
#include "util.h"

#define DEFAULT_CONFIG "/etc/koompi/agent.conf"

static int usage(void) {
        fputs("Usage: koompi-pkg-appimage [--config FILE] search TEXT | info NAME|FILE|URL | list |\n"
              "                           install FILE|URL | remove NAME\n",
              stderr);
        return 1;
}

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

static int info(const struct pkg_config *c, const char *target) {
        char name[PKG_NAME_MAX + 1];
        enum pkg_target t;
        if (pkg_target_parse(target, &t) < 0 || integrate_name(target, name, sizeof name) < 0)
                return answer_error(-EINVAL, "'%.200s' is not an AppImage's name, path or URL", target);
        json_object *item = integrate_item(c, name);
        if (item)
                return answer_result(item);
        if (t == PKG_TARGET_NAME)
                return answer_error(-ENOENT, "no AppImage named %s is installed", name);
        if (t == PKG_TARGET_FILE && access(target, R_OK) < 0)
                return answer_error(-errno, "%.200s: %s", target, strerror(errno));
        return answer_result(target_item(target, name));
}

static int install(const struct pkg_config *c, const char *target) {
        char name[PKG_NAME_MAX + 1], error[512];
        enum pkg_target t;
        if (pkg_target_parse(target, &t) < 0 || t == PKG_TARGET_NAME)
                return answer_error(-EINVAL,
                                    "an AppImage is installed from its absolute path or URL, not '%.200s'",
                                    target);
        int r = integrate_install(c, target, name, sizeof name, error, sizeof error);
        if (r < 0)
                return answer_error(r, "%s", error);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "version", json_object_new_string(""));
        return answer_result(o);
}

static int remove_app(const struct pkg_config *c, const char *name) {
        char error[512];
        if (!pkg_name_valid(name))
                return answer_error(-EINVAL, "'%.200s' is not an app name", name);
        int r = integrate_remove(c, name, error, sizeof error);
        if (r < 0)
                return answer_error(r, "%s", error);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "version", json_object_new_string(""));
        return answer_result(o);
}

static int dispatch(const struct pkg_config *c, const char *verb, const char *arg) {
        if (streq(verb, "list") && !arg)
                return answer_result(integrate_list(c, NULL));
        if (!arg)
                return usage();
        if (streq(verb, "search"))
                return answer_result(integrate_list(c, arg));
        if (streq(verb, "info"))
                return info(c, arg);
        if (streq(verb, "install"))
                return install(c, arg);
        if (streq(verb, "remove"))
                return remove_app(c, arg);
        return usage();
}

int main(int argc, char **argv) {
        static const struct option longopts[] = { { "config", required_argument, NULL, 'c' }, {} };
        const char *config = DEFAULT_CONFIG;
        struct pkg_config c;
        int opt;
        while ((opt = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                if (opt != 'c')
                        return usage();
                config = optarg;
        }
        if (optind >= argc || argc - optind > 2)
                return usage();
        pkgconf_defaults(&c);
        int r = pkgconf_load(&c, config);
        if (r < 0 && r != -ENOENT)
                return answer_error(r, "%s could not be read: %s", config, strerror(-r));
        umask(022);
        r = dispatch(&c, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL);
        pkgconf_free(&c);
        return r;
}
