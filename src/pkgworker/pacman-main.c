/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-pkg-pacman: the repositories' side of koompi-agent's search, info and list, read with
 * pacman from the root's own databases (never refreshed: they are the pinned snapshot the
 * release was built from). Installing and removing go through koompi-boot update, in a new
 * root, and are not this program's. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>

#include "answer.h"
#include "pacparse.h"
#include "pkgargs.h"
#include "pkgconf.h"
#include "rootpacman.h"
#include "util.h"

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
        int fds[2], status;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fds[1], STDOUT_FILENO);
                setenv("LC_ALL", "C", 1);
                execv(argv[0], argv);
                _exit(127);
        }
        close(fds[1]);
        char *out = xmalloc(OUTPUT_MAX + 1);
        size_t len = 0;
        for (ssize_t got; len < OUTPUT_MAX && (got = read(fds[0], out + len, OUTPUT_MAX - len)) != 0;)
                if (got > 0)
                        len += (size_t)got;
                else if (errno != EINTR)
                        break;
        out[len] = '\0';
        close(fds[0]);
        if (pid < 0 || waitpid(pid, &status, 0) < 0) {
                free(out);
                return -ECHILD;
        }
        *ret = out;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

static int info(const struct pkg_config *c, const char *name) {
        _cleanup_free_ char *si = NULL, *qi = NULL;
        json_object *o = NULL;
        if (!pkg_name_valid(name))
                return answer_error(-EINVAL, "'%.200s' is not a package name", name);
        int rs = pacman(c, "-Si", name, &si), rq = pacman(c, "-Qi", name, &qi);
        if (rs == 0 && pacman_parse_info(si, rq == 0, &o) == 0)
                return answer_result(o);
        if (rq == 0 && pacman_parse_info(qi, true, &o) == 0)
                return answer_result(o);
        if (rs < 0)
                return answer_error(rs, "pacman could not be run: %s", strerror(-rs));
        return answer_error(-ENOENT, "no package %s in the repositories of this release", name);
}

static int items(const struct pkg_config *c, const char *op, const char *arg) {
        _cleanup_free_ char *out = NULL;
        int r = pacman(c, op, arg, &out);
        if (r < 0)
                return answer_error(r, "pacman could not be run: %s", strerror(-r));
        /* Nothing found is exit status 1 with no output, not an error. */
        if (r > 1 || (r == 1 && out[0]))
                return answer_error(-EIO, "pacman %s failed (exit status %d)", op, r);
        return answer_result(streq(op, "-Ss") ? pacman_parse_search(out) : pacman_parse_query(out));
}

static int usage(void) {
        fputs("Usage: koompi-pkg-pacman [--config FILE] search TEXT | info NAME | list\n", stderr);
        return 1;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = { { "config", required_argument, NULL, 'c' }, {} };
        const char *config = "/etc/koompi/agent.conf";
        struct pkg_config c;
        int opt;
        while ((opt = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                if (opt != 'c')
                        return usage();
                config = optarg;
        }
        if (optind >= argc || argc - optind > 2)
                return usage();
        const char *verb = argv[optind], *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
        pkgconf_defaults(&c);
        int r = pkgconf_load(&c, config);
        if (r < 0 && r != -ENOENT)
                r = answer_error(r, "%s could not be read: %s", config, strerror(-r));
        else if (streq(verb, "list") && !arg)
                r = items(&c, "-Qe", NULL);
        else if (streq(verb, "search") && arg && pkg_search_valid(arg))
                r = items(&c, "-Ss", arg);
        else if (streq(verb, "info") && arg)
                r = info(&c, arg);
        else if (streq(verb, "install") || streq(verb, "remove"))
                r = answer_error(-EINVAL,
                                 "repository packages are installed and removed in a new root by the agent");
        else
                r = usage();
        pkgconf_free(&c);
        return r;
}
