/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to libkmod. */
#include "modules.h"

#include <errno.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "log.h"
#include "util.h"

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn, const char *format,
                     va_list args) {
        char text[400];
        vsnprintf(text, sizeof text, format, args);
        text[strcspn(text, "\n")] = 0;
        log_debug("libkmod: %s", text);
}

static int check_dir(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int modules_find_dir(const char *kver, char *ret, size_t size) {
        static const char *const bases[] = { "/lib/modules", "/usr/lib/modules" };
        if (!kver || !*kver || strchr(kver, '/') || streq(kver, ".") || streq(kver, ".."))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
                if ((size_t)snprintf(ret, size, "%s/%s", bases[i], kver) >= size)
                        return -ENAMETOOLONG;
                if (check_dir(ret) == 0)
                        return 0;
        }
        /* Name the first place looked in the caller's message. */
        snprintf(ret, size, "%s/%s", bases[0], kver);
        return -ENOENT;
}

int modules_ctx_new(const char *moddir, struct kmod_ctx **ret) {
        char dir[PATH_MAX];
        int r;

        if (moddir) {
                if ((size_t)snprintf(dir, sizeof dir, "%s", moddir) >= sizeof dir)
                        return -ENAMETOOLONG;
                r = check_dir(dir);
        } else {
                struct utsname u;
                if (uname(&u) < 0)
                        return -errno;
                r = modules_find_dir(u.release, dir, sizeof dir);
        }
        if (r < 0)
                return r;

        struct kmod_ctx *ctx = kmod_new(dir, NULL);
        if (!ctx)
                return -ENOMEM;
        kmod_set_log_fn(ctx, kmod_log, NULL);
        kmod_set_log_priority(ctx, log_get_max_level() >= LOG_LVL_DEBUG ? LOG_LVL_INFO : LOG_LVL_ERR);
        /* Without the binary indexes libkmod still works, only slower. */
        r = kmod_load_resources(ctx);
        if (r < 0)
                log_debug("loading the module indexes of %s failed: %s", dir, strerror(-r));
        *ret = ctx;
        return 0;
}

struct kmod_ctx *modules_ctx_free(struct kmod_ctx *ctx) {
        if (ctx)
                kmod_unref(ctx);
        return NULL;
}

static void kmod_listp(struct kmod_list **l) {
        if (*l)
                kmod_module_unref_list(*l);
}
#define _cleanup_kmod_list_ _cleanup_(kmod_listp)

/* --- boot side --- */

int modules_load(struct kmod_ctx *ctx, const char *name_or_alias) {
        _cleanup_kmod_list_ struct kmod_list *list = NULL;
        struct kmod_list *i;
        int r = kmod_module_new_from_lookup(ctx, name_or_alias, &list);
        if (r < 0)
                return r;
        if (!list)
                return -ENOENT;

        int ret = 0;
        kmod_list_foreach(i, list) {
                struct kmod_module *mod = kmod_module_get_module(i);
                r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
                if (r < 0) {
                        log_debug("inserting %s failed: %s", kmod_module_get_name(mod), strerror(-r));
                        if (ret == 0)
                                ret = r;
                } else
                        log_debug("module %s loaded", kmod_module_get_name(mod));
                kmod_module_unref(mod);
        }
        return ret;
}

int modules_load_modalias(struct kmod_ctx *ctx, const char *modalias, unsigned *ret_loaded) {
        _cleanup_kmod_list_ struct kmod_list *list = NULL;
        struct kmod_list *i;
        unsigned loaded = 0;
        int ret = 0;

        if (ret_loaded)
                *ret_loaded = 0;
        int r = kmod_module_new_from_lookup(ctx, modalias, &list);
        if (r < 0)
                return r;

        kmod_list_foreach(i, list) {
                struct kmod_module *mod = kmod_module_get_module(i);
                int state = kmod_module_get_initstate(mod);
                if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE ||
                    state == KMOD_MODULE_COMING) {
                        kmod_module_unref(mod);
                        continue;
                }
                r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY, NULL, NULL,
                                                    NULL, NULL);
                if (r < 0) {
                        log_debug("inserting %s for %s failed: %s", kmod_module_get_name(mod), modalias,
                                  strerror(-r));
                        if (ret == 0)
                                ret = r;
                } else if (r == 0) {
                        log_debug("module %s loaded for %s", kmod_module_get_name(mod), modalias);
                        loaded++;
                }
                kmod_module_unref(mod);
        }
        if (ret_loaded)
                *ret_loaded = loaded;
        return ret;
}

/* --- build side --- */

void module_set_free(struct module_set *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->files[i].name);
                free(s->files[i].path);
                free(s->files[i].relpath);
        }
        free(s->files);
        *s = (struct module_set) { 0 };
}

bool module_set_contains(const struct module_set *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->files[i].name, name))
                        return true;
        return false;
}

static int module_set_add(struct module_set *s, const char *name, const char *path, const char *moddir) {
        const char *rel = startswith(path, moddir);
        if (!rel || *rel != '/')
                return -EINVAL;
        rel += strspn(rel, "/");

        if (s->n == s->allocated) {
                size_t a = s->allocated ? s->allocated * 2 : 32;
                struct module_file *f = realloc(s->files, a * sizeof *f);
                if (!f)
                        return -ENOMEM;
                s->files = f;
                s->allocated = a;
        }
        struct module_file f = { strdup(name), strdup(path), strdup(rel) };
        if (!f.name || !f.path || !f.relpath) {
                free(f.name);
                free(f.path);
                free(f.relpath);
                return -ENOMEM;
        }
        s->files[s->n++] = f;
        return 0;
}

/* Names of the modules on the stack of add_module(), to cut dependency cycles. */
struct visit {
        const char *name;
        const struct visit *up;
};

static bool visiting(const struct visit *v, const char *name) {
        for (; v; v = v->up)
                if (streq(v->name, name))
                        return true;
        return false;
}

static int add_module(struct kmod_module *mod, const char *moddir, struct module_set *set,
                      const struct visit *up);

static int add_list(struct kmod_list *list, const char *moddir, struct module_set *set,
                    const struct visit *up, const char *what) {
        struct kmod_list *i;
        kmod_list_foreach(i, list) {
                struct kmod_module *m = kmod_module_get_module(i);
                int r = add_module(m, moddir, set, up);
                /* A soft dependency is a wish, not a need: modprobe skips missing ones. */
                if (r == -ENOENT && what) {
                        log_debug("%s %s of %s is missing; skipped", what, kmod_module_get_name(m), up->name);
                        r = 0;
                }
                kmod_module_unref(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Adds mod after its dependencies. MODULES_BUILTIN when it is built in. */
static int add_module(struct kmod_module *mod, const char *moddir, struct module_set *set,
                      const struct visit *up) {
        const char *name = kmod_module_get_name(mod);
        if (module_set_contains(set, name) || visiting(up, name))
                return MODULES_ADDED;

        const char *path = kmod_module_get_path(mod);
        if (!path) {
                if (kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN)
                        return MODULES_BUILTIN;
                log_debug("module %s is indexed but has no file", name);
                return -ENOENT;
        }

        struct visit v = { name, up };
        _cleanup_kmod_list_ struct kmod_list *pre = NULL, *post = NULL;
        int r = kmod_module_get_softdeps(mod, &pre, &post);
        if (r < 0)
                return r;
        r = add_list(pre, moddir, set, &v, "soft dependency");
        if (r < 0)
                return r;

        _cleanup_kmod_list_ struct kmod_list *deps = kmod_module_get_dependencies(mod);
        r = add_list(deps, moddir, set, &v, NULL);
        if (r < 0)
                return r;

        if (!module_set_contains(set, name)) {
                r = module_set_add(set, name, path, moddir);
                if (r < 0)
                        return r;
        }
        return add_list(post, moddir, set, &v, "soft dependency");
}

bool modules_host_has(const char *name) {
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "/sys/module/%s", name) >= sizeof path)
                return false;
        for (char *p = path + strlen("/sys/module/"); *p; p++)
                if (*p == '-')
                        *p = '_';
        return check_dir(path) == 0;
}

int modules_resolve(struct kmod_ctx *ctx, const char *name_or_alias, unsigned flags, struct module_set *set) {
        _cleanup_kmod_list_ struct kmod_list *list = NULL;
        struct kmod_list *i;
        const char *moddir = kmod_get_dirname(ctx);
        bool added = false, builtin = false, not_loaded = false;

        int r = kmod_module_new_from_lookup(ctx, name_or_alias, &list);
        if (r < 0)
                return r;
        kmod_list_foreach(i, list) {
                struct kmod_module *m = kmod_module_get_module(i);
                if ((flags & MODULES_RESOLVE_HOST_LOADED) && !modules_host_has(kmod_module_get_name(m))) {
                        if (!kmod_module_get_path(m) && kmod_module_get_initstate(m) == KMOD_MODULE_BUILTIN)
                                builtin = true;
                        else
                                not_loaded = true;
                        kmod_module_unref(m);
                        continue;
                }
                r = add_module(m, moddir, set, NULL);
                kmod_module_unref(m);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                if (r == MODULES_BUILTIN)
                        builtin = true;
                else
                        added = true;
        }
        if (added)
                return MODULES_ADDED;
        if (builtin)
                return MODULES_BUILTIN;
        if (not_loaded)
                return MODULES_NOT_LOADED;
        return -ENOENT;
}
