/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-pkg-aur: the AUR source of koompi-agent, one request per process. The RPC's answers and
 * the git repositories are read, and makepkg runs, as [packages] user (never root); build keeps
 * root only to make the throw-away tree and to copy the finished packages out of it. */
#include <errno.h>
#include <stdio.h>

#include "aurconf.h"
#include "build.h"
#include "fetch.h"
#include "privs.h"
#include "workerargs.h"
#include "workerline.h"
#include "rpc.h"
#include "srcinfo.h"
#include "strv.h"
#include "util.h"

/* The longest each step may take. */
#define CLONE_SECONDS 120
#define SOURCES_SECONDS 900
#define BUILD_SECONDS 3600
#define LOOKUP_SECONDS 120
#define SEARCH_MAX 256

struct aur_ctx {
        struct aur_config config;
        int answered; /* a child wrote the final line and ended with this exit status */
};

static const struct fetch_limits rpc_limits = {
        .max_bytes = 4 << 20,
        .connect_timeout_s = 10,
        .stall_timeout_s = 30,
        .total_timeout_s = 60,
};

/* The "results" of the RPC answer at url. */
static int rpc_results(const char *url, json_object **ret, char *why) {
        char error[FETCH_ERROR_MAX] = "";
        _cleanup_free_ char *body = NULL;
        size_t len;
        int r = fetch_url(url, &rpc_limits, &body, &len, error);
        if (r < 0) {
                snprintf(why, WORKER_WHY_MAX,
                         "the AUR could not be read at %s (%s): check the network and [packages] aur_url",
                         url, error);
                return -EIO;
        }
        return aur_parse_answer(body, len, ret, why);
}

static int do_search(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        const struct aur_config *c = &((struct aur_ctx *)ctx)->config;
        size_t n = strlen(a->arg);
        if (n == 0 || n > SEARCH_MAX) {
                snprintf(why, WORKER_WHY_MAX, "the search text must be 1 to %d bytes long", SEARCH_MAX);
                return -EINVAL;
        }
        _cleanup_free_ char *url = aur_search_url(c->aur_url, a->arg);
        json_object *results = NULL, *items;
        int r = url ? rpc_results(url, &results, why) : -ENOMEM;
        if (r < 0)
                return r;
        items = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(results); i++) {
                json_object *it = aur_item(json_object_array_get_idx(results, i));
                if (it)
                        json_object_array_add(items, it);
        }
        json_object_put(results);
        *ret = items;
        return 0;
}

/* The RPC's info result for name (a new reference). */
static int info_result(const struct aur_config *c, const char *name, json_object **ret, char *why) {
        _cleanup_free_ char *url = NULL;
        json_object *results = NULL, *found;
        if (!aur_valid_name(name)) {
                snprintf(why, WORKER_WHY_MAX, "'%.64s' is not a package name", name);
                return -EINVAL;
        }
        url = aur_info_url(c->aur_url, name);
        int r = url ? rpc_results(url, &results, why) : -ENOMEM;
        if (r < 0)
                return r;
        found = aur_find(results, name);
        if (found && aur_result_valid(found))
                *ret = json_object_get(found);
        else {
                snprintf(why, WORKER_WHY_MAX,
                         "the AUR has no package named '%s': look for it with koompi search", name);
                r = -ENOENT;
        }
        json_object_put(results);
        return r;
}

/* The PKGBUILD of pkgbase, cloned into a throw-away tree of the current (unprivileged) user. */
static int fetch_pkgbuild(const struct aur_config *c, const char *pkgbase, char **ret, char *why) {
        _cleanup_free_ char *work = NULL, *url = aur_git_url(c->aur_url, pkgbase);
        int r = url ? aur_work_new(c->user, &work, why) : -ENOMEM;
        if (r < 0)
                return r;
        const struct aur_child child = { .user = c->user, .timeout_s = CLONE_SECONDS, .work = work };
        r = aur_clone(work, url, &child, why);
        if (r == 0)
                r = aur_read_pkgbuild(work, ret, why);
        aur_work_remove(work);
        return r;
}

static int do_info(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        const struct aur_config *c = &((struct aur_ctx *)ctx)->config;
        json_object *result = NULL, *info, *facts;
        _cleanup_free_ char *pkgbuild = NULL;
        int r = info_result(c, a->arg, &result, why);
        if (r < 0)
                return r;
        r = fetch_pkgbuild(c, aur_package_base(result), &pkgbuild, why);
        if (r == 0) {
                info = aur_info(result);
                json_object_object_get_ex(info, "facts", &facts);
                json_object_object_add(facts, "pkgbuild", json_object_new_string(pkgbuild));
                *ret = info;
        }
        json_object_put(result);
        return r;
}

struct build {
        const struct aur_config *c;
        const char *name;
        const char *work;
};

/* The network half of a build, in a child as the user: the RPC, the clone, the sources. Its
 * exit status is the protocol's; it writes the error line itself. */
static int build_fetch(void *userdata) {
        const struct build *b = userdata;
        const struct aur_child clone = { .timeout_s = CLONE_SECONDS },
                               sources = { .timeout_s = SOURCES_SECONDS };
        char why[WORKER_WHY_MAX] = "";
        json_object *result = NULL;
        _cleanup_free_ char *url = NULL;
        workerline_progress(stdout, 0, 3, "reading the package from the AUR");
        int r = info_result(b->c, b->name, &result, why);
        if (r == 0 && !(url = aur_git_url(b->c->aur_url, aur_package_base(result))))
                r = -ENOMEM;
        json_object_put(result);
        if (r == 0) {
                workerline_progress(stdout, 1, 3, "fetching the PKGBUILD and its sources");
                r = aur_clone(b->work, url, &clone, why);
        }
        if (r == 0)
                r = aur_makepkg(b->work, &sources, 1, why);
        return r < 0 ? workerline_error(stdout, r, why) : 0;
}

/* A build that failed: when what the PKGBUILD needs to be built is missing, why says so rather
 * than only that makepkg failed. */
static void explain_build_failure(const char *work, const struct aur_child *offline, char *why) {
        struct aur_child c = *offline;
        char **missing = NULL;
        c.timeout_s = LOOKUP_SECONDS;
        if (aur_missing_build_deps(work, &c, &missing) == 0 && missing)
                srcinfo_missing_text(missing, why, WORKER_WHY_MAX);
        strv_free(missing);
}

static int do_build(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        struct aur_ctx *x = ctx;
        struct build b = { .c = &x->config, .name = a->arg };
        _cleanup_free_ char *work = NULL;
        int r = aur_work_new(b.c->user, &work, why);
        if (r < 0)
                return r;
        b.work = work;
        const struct aur_child online = { .user = b.c->user,
                                          .timeout_s = CLONE_SECONDS + SOURCES_SECONDS + 60,
                                          .work = work };
        const struct aur_child offline = {
                .user = b.c->user, .no_network = true, .timeout_s = BUILD_SECONDS, .work = work
        };
        r = aur_child_run(&online, build_fetch, &b);
        if (r > 0 && r < 127) {
                aur_work_remove(work);
                x->answered = r; /* the child wrote the error line */
                return 0;
        }
        if (r != 0) {
                snprintf(why, WORKER_WHY_MAX, "fetching '%s' failed: %s", b.name,
                         r == -ETIME ? "it took too long" : "its process could not run or was killed");
                r = r == -ETIME ? -ETIME : -EIO;
        }
        if (r == 0) {
                workerline_progress(stdout, 2, 3, "building without network access");
                r = aur_makepkg(work, &offline, 0, why);
                if (r == -ECHILD)
                        explain_build_failure(work, &offline, why);
        }
        if (r == 0)
                r = aur_collect(work, a->out, ret, why);
        aur_work_remove(work);
        return r;
}

static int do_list(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        snprintf(why, WORKER_WHY_MAX,
                 "packages built from the AUR are installed by pacman into a new root: the agent "
                 "keeps their list, not this worker");
        return -EOPNOTSUPP;
}

static const struct worker_verb verbs[] = {
        { "search", 1, do_search },
        { "info", 1, do_info },
        { "build", 1, do_build },
        { "list", 0, do_list },
};

static int usage(int r) {
        fputs("Usage: koompi-pkg-aur [--config AGENT_CONF] search TEXT | info NAME | build NAME --out DIR | list\n",
              stderr);
        return r == -ECANCELED ? 0 : workerline_error(stdout, -EINVAL, "koompi-pkg-aur: bad usage");
}

int main(int argc, char **argv) {
        struct aur_ctx x = { 0 };
        char why[WORKER_WHY_MAX] = "";
        struct worker_args a;
        json_object *result = NULL;
        int r = workerargs_parse(argc, argv, &a);
        const struct worker_verb *v = r < 0 ? NULL : workerargs_verb(verbs, ELEMENTSOF(verbs), &a);
        bool build = v && v->run == do_build;
        if (!v || build != (a.out != NULL))
                return usage(r);
        r = aurconf_load(&x.config, a.config, why);
        /* Only a build needs root after this: to make its tree and take the packages out. */
        if (r == 0 && !build && (r = drop_root(x.config.user)) < 0)
                snprintf(why, sizeof why, "could not drop root to [packages] user '%s': %s", x.config.user,
                         r == -ESRCH           ? "no such user"
                                 : r == -EPERM ? "it is root"
                                               : strerror(-r));
        if (r == 0)
                r = v->run(&x, &a, &result, why);
        aurconf_free(&x.config);
        return x.answered ? x.answered : workerline_answer(stdout, r, result, why);
}
