/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel modules of the image and their indexes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "mkinitramfs.h"
#include "util.h"

/* Copied from the kernel's directory so that depmod knows the built-in modules. */
static const char *const depmod_inputs[] = {
        "modules.order",
        "modules.builtin",
        "modules.builtin.modinfo",
};

/* What depmod writes that libkmod and busybox modprobe read. */
static const char *const depmod_outputs[] = {
        "modules.alias",       "modules.alias.bin", "modules.builtin",     "modules.builtin.alias.bin",
        "modules.builtin.bin", "modules.dep",       "modules.dep.bin",     "modules.devname",
        "modules.softdep",     "modules.symbols",   "modules.symbols.bin",
};

static int resolve_list(struct mki *m, struct kmod_ctx *ctx, char *const *names, const char *origin,
                        bool hardware) {
        unsigned flags = hardware && m->opt->host_only ? MODULES_RESOLVE_HOST_LOADED : 0;
        for (char *const *n = names; n && *n; n++) {
                int r = modules_resolve(ctx, *n, flags, &m->modules);
                if (r == MODULES_BUILTIN) {
                        log_debug("module %s is built into kernel %s", *n, m->opt->kernel);
                        continue;
                }
                if (r == MODULES_NOT_LOADED) {
                        log_debug("module %s is not loaded on this machine: left out "
                                  "(--host-only)",
                                  *n);
                        continue;
                }
                if (r == -ENOENT && hardware) {
                        log_warning("module %s (%s) does not exist for kernel %s; left out", *n, origin,
                                    m->opt->kernel);
                        continue;
                }
                if (r == -ENOENT)
                        return mki_bad_input(m, r, "module %s (%s): not found for kernel %s in %s", *n,
                                             origin, m->opt->kernel, m->moddir);
                if (r < 0)
                        return log_errno(r, "resolving module %s failed", *n);
        }
        return 0;
}

int kmods_collect(struct mki *m) {
        _cleanup_kmod_ctx_ struct kmod_ctx *ctx = NULL;
        char origin[PATH_MAX + 32];
        int r = modules_ctx_new(m->moddir, &ctx);
        if (r < 0)
                return mki_bad_input(m, r, "kernel %s: no module directory at %s", m->opt->kernel, m->moddir);

        snprintf(origin, sizeof origin, "[modules] load of %s",
                 m->config_path ? m->config_path : "the defaults");
        r = resolve_list(m, ctx, m->config.modules_load, origin, false);
        if (r == 0)
                r = resolve_list(m, ctx, m->opt->modules, "--module", false);
        snprintf(origin, sizeof origin, "[modules] hardware of %s",
                 m->config_path ? m->config_path : "the defaults");
        if (r == 0)
                r = resolve_list(m, ctx, m->config.modules_hardware, origin, true);
        return r;
}

/* A scratch copy: no fsync, the tree is deleted after the build. */
static int copy_file(const char *from, const char *to) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = read_file(from, &data, &len);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        return write_full(fd, data, len);
}

/* A tree holding only the chosen modules (as symlinks) where depmod builds their indexes. */
static int stage_modules(struct mki *m, char *dir) {
        int r;
        char p[PATH_MAX], q[PATH_MAX];
        r = path_join(p, m->stage, "usr/lib/modules");
        if (r == 0)
                r = path_join(dir, p, m->opt->kernel);
        if (r < 0)
                return log_errno(r, "%s", m->stage);
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_errno(r, "creating %s failed", dir);
        /* depmod -b looks in BASE/lib/modules or BASE/usr/lib/modules, by its version. */
        path_join(p, m->stage, "lib");
        if (symlink("usr/lib", p) < 0 && errno != EEXIST)
                return log_errno(-errno, "creating %s failed", p);
        path_join(p, m->stage, "depmod.d");
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return log_errno(-errno, "creating %s failed", p);

        for (size_t i = 0; i < m->modules.n; i++) {
                const struct module_file *f = &m->modules.files[i];
                if (path_join(p, dir, f->relpath) < 0)
                        return log_errno(-ENAMETOOLONG, "%s", f->relpath);
                char *slash = strrchr(p, '/');
                *slash = 0;
                r = mkdir_p(p, 0755);
                *slash = '/';
                if (r < 0)
                        return log_errno(r, "creating the directory of %s failed", p);
                if (symlink(f->path, p) < 0 && errno != EEXIST)
                        return log_errno(-errno, "creating %s failed", p);
        }
        for (size_t i = 0; i < ELEMENTSOF(depmod_inputs); i++) {
                r = path_join(p, m->moddir, depmod_inputs[i]);
                if (r == 0)
                        r = path_join(q, dir, depmod_inputs[i]);
                if (r == 0)
                        r = copy_file(p, q);
                if (r < 0 && r != -ENOENT)
                        return log_errno(r, "copying %s failed", p);
        }
        return 0;
}

static int run_depmod(struct mki *m) {
        char depmod[PATH_MAX], conf[PATH_MAX], err[1024];
        if (find_program("depmod", depmod) < 0)
                return mki_bad_input(m, -ENOENT, "depmod is not installed (package kmod)");
        path_join(conf, m->stage, "depmod.d");
        char *argv[] = { depmod, (char *)"-b", m->stage, (char *)"-C", conf, (char *)m->opt->kernel, NULL };
        int r = spawn_capture(argv, NULL, err, sizeof err);
        if (r < 0)
                return log_errno(r, "%s -b %s %s failed%s%s", depmod, m->stage, m->opt->kernel,
                                 *err ? ": " : "", err);
        if (*err)
                log_debug("depmod: %s", err);
        return 0;
}

int kmods_install(struct mki *m) {
        char dir[PATH_MAX], dest[PATH_MAX], p[PATH_MAX], base[PATH_MAX];
        int r = path_join(base, "/lib/modules", m->opt->kernel);
        if (r == 0)
                r = stage_modules(m, dir);
        if (r == 0)
                r = run_depmod(m);
        if (r < 0)
                return r;

        /* The module files go with the host's files; the indexes made for this image
         * with its own. */
        cpio_set_segment(m->cpio, MKI_SEGMENT_MODULES);
        for (size_t i = 0; r == 0 && i < m->modules.n; i++) {
                const struct module_file *f = &m->modules.files[i];
                r = path_join(dest, base, f->relpath);
                if (r == 0)
                        r = cpio_add_file(m->cpio, dest, 0644, f->path);
                if (r < 0)
                        r = mki_bad_input(m, r, "module %s: %s", f->path, strerror(-r));
        }
        cpio_set_segment(m->cpio, MKI_SEGMENT_IMAGE);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(depmod_outputs); i++) {
                r = path_join(p, dir, depmod_outputs[i]);
                if (r == 0)
                        r = path_join(dest, base, depmod_outputs[i]);
                if (r == 0)
                        r = cpio_add_file(m->cpio, dest, 0644, p);
                /* Older or newer depmods write a few files more or less; not these. */
                if (r == -ENOENT && !endswith(p, "/modules.dep") && !endswith(p, ".dep.bin"))
                        continue;
                if (r < 0)
                        return log_errno(r, "adding %s to the image failed", p);
        }
        /* The directory itself, even with every module built in: libkmod needs it. */
        r = cpio_add_dir(m->cpio, base, 0755);
        if (r < 0)
                return log_errno(r, "adding %s to the image failed", base);
        log_debug("%zu module files for kernel %s", m->modules.n, m->opt->kernel);
        return 0;
}
