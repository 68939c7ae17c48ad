/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Kernel modules, through libkmod (this is the only file that talks to it).
 * libkmod's own messages go to src/log.h at debug level. */

struct kmod_ctx;

/* --- both sides --- */

/* Opens a libkmod context on a module directory (the one holding modules.dep.bin), with its
 * indexes loaded. moddir NULL: /lib/modules/$(uname -r), else /usr/lib/modules/$(uname -r).
 * -ENOENT when the directory does not exist, -ENOTDIR when it is no directory, -ENOMEM. */
int modules_ctx_new(const char *moddir, struct kmod_ctx **ret);
/* Drops the context; NULL is fine. Returns NULL. */
struct kmod_ctx *modules_ctx_free(struct kmod_ctx *ctx);
static inline void modules_ctx_freep(struct kmod_ctx **ctx) {
        modules_ctx_free(*ctx);
}
#define _cleanup_kmod_ctx_ __attribute__((cleanup(modules_ctx_freep)))

/* --- boot side (koompi-init) --- */

/* Loads a module by name ("dm-crypt" and "dm_crypt" are the same) or alias, with its
 * dependencies and soft dependencies, like modprobe. A module already loaded or built into
 * the kernel is a success. Every module the alias matches is loaded.
 * 0, -ENOENT when nothing has that name or alias, else the negative errno of the first
 * module that failed (the others are still tried). */
int modules_load(struct kmod_ctx *ctx, const char *name_or_alias);

/* Loads every module whose alias matches modalias (the content of a device's modalias file,
 * "pci:v00001AF4d00001001sv..."), skipping blacklisted ones. *ret_loaded (may be NULL) is set
 * to the number of modules newly loaded. No match is not an error (0, *ret_loaded = 0).
 * The negative errno of the first module that failed, the others are still tried. */
int modules_load_modalias(struct kmod_ctx *ctx, const char *modalias, unsigned *ret_loaded);

/* --- build side (koompi-mkinitramfs) --- */

/* The module directory of kernel kver: /lib/modules/KVER, else /usr/lib/modules/KVER.
 * -ENOENT (ret holds the first path tried, for the message) or -ENAMETOOLONG. */
int modules_find_dir(const char *kver, char *ret, size_t size);

struct module_file {
        char *name; /* as libkmod names it: "dm_crypt" */
        char *path; /* absolute path of the file: ".../kernel/drivers/md/dm-crypt.ko" */
        char *relpath; /* path below the module directory: "kernel/drivers/md/dm-crypt.ko" */
};

/* The module files an image needs, each once, every module after those it depends on. */
struct module_set {
        struct module_file *files;
        size_t n, allocated;
};

void module_set_free(struct module_set *s);
bool module_set_contains(const struct module_set *s, const char *name);

enum {
        MODULES_RESOLVE_HOST_LOADED = 1 << 0, /* keep only modules loaded on this machine */
};

/* Positive results of modules_resolve(). */
enum {
        MODULES_ADDED = 0,
        MODULES_BUILTIN = 1, /* built into the kernel: there is nothing to carry */
        MODULES_NOT_LOADED = 2, /* MODULES_RESOLVE_HOST_LOADED and not loaded here */
};

/* Adds the module(s) called or aliased name_or_alias to set, each after the modules it
 * depends on (modules.dep) and after its soft dependencies (softdep pre: and post: of
 * modprobe.d and modules.softdep). Modules already in set are not added again.
 * With MODULES_RESOLVE_HOST_LOADED only the matches loaded on this machine (/sys/module/NAME)
 * are added, with all their dependencies.
 * Returns MODULES_ADDED, MODULES_BUILTIN when every match is built in, MODULES_NOT_LOADED,
 * -ENOENT when no module has that name or alias, or another negative errno. */
int modules_resolve(struct kmod_ctx *ctx, const char *name_or_alias, unsigned flags, struct module_set *set);

/* Whether module name (dashes or underscores) is loaded on this machine or built into its
 * running kernel: /sys/module/NAME exists. */
bool modules_host_has(const char *name);
