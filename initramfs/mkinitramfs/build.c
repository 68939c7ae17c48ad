/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The build of one image, start to end. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <zstd.h>

#include "keymap.h"
#include "log.h"
#include "mkinitramfs.h"
#include "util.h"

static int find_moddir(struct mki *m) {
        const char *kver = m->opt->kernel;
        if (!kver || !*kver || strchr(kver, '/') || streq(kver, ".") || streq(kver, ".."))
                return mki_bad_input(m, -EINVAL, "kernel '%s': not a kernel release", kver ? kver : "");
        if (m->opt->moddir) {
                struct stat st;
                snprintf(m->moddir, sizeof m->moddir, "%s", m->opt->moddir);
                if (stat(m->moddir, &st) < 0 || !S_ISDIR(st.st_mode))
                        return mki_bad_input(m, -ENOENT, "kernel %s: no module directory at %s", kver,
                                             m->moddir);
                return 0;
        }
        int r = modules_find_dir(kver, m->moddir, sizeof m->moddir);
        if (r < 0)
                return mki_bad_input(m, r, "kernel %s: no module directory at %s", kver, m->moddir);
        return 0;
}

static int load_config(struct mki *m) {
        const char *path = m->opt->config ? m->opt->config : MKI_DEFAULT_CONFIG;
        _cleanup_free_ char *error = NULL;
        config_init_defaults(&m->config);
        int r = config_load(&m->config, path, &error);
        if (r == -ENOENT && !m->opt->config) {
                log_debug("%s does not exist: using the defaults", path);
                return 0;
        }
        /* koompi-init leaves unknown keys out; the builder, run after an edit, refuses them so that
         * a typo is seen. */
        if (r == -EINVAL || r > 0)
                return mki_bad_input(m, -EINVAL, "config %s", error ? error : path);
        if (r == -ENOMEM)
                return log_errno(r, "reading %s failed", path);
        if (r < 0)
                return mki_bad_input(m, r, "config %s: %s", path, strerror(-r));
        _cleanup_free_ char *costly = NULL;
        r = mki_password_hash_check(m->config.password_hash, &costly);
        if (r == -E2BIG)
                return mki_bad_input(m, r, "config %s: %s", path, costly);
        if (r < 0)
                return r;
        if (streq_ptr(m->config.auth, "none"))
                log_warning("config %s: [recovery] auth = none: the recovery menu will give a root "
                            "shell to anyone at the keyboard, with no password. For labs only.",
                            path);
        else if (!m->config.password_hash || !*m->config.password_hash)
                log_notice("config %s: no [recovery] password_hash: the recovery menu will offer "
                           "no shell (see koompi-recovery(7))",
                           path);
        m->config_path = strdup(path);
        return m->config_path ? 0 : -ENOMEM;
}

static int check_compression(struct mki *m, const char **ret) {
        const char *c = m->opt->compress ? m->opt->compress : m->config.compression;
        if (!c || !*c)
                c = "zstd";
        if (!streq(c, "zstd") && !streq(c, "none"))
                return mki_bad_input(m, -EINVAL, "compression %s: zstd or none", c);
        int level = m->opt->best ? MKI_BEST_LEVEL : m->config.compression_level;
        if (streq(c, "zstd") && (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()))
                return mki_bad_input(m, -EINVAL, "compression_level %d: zstd takes %d (fastest) to %d", level,
                                     ZSTD_minCLevel(), ZSTD_maxCLevel());
        m->zstd_level = level;
        *ret = c;
        return 0;
}

static int find_koompi_init(struct mki *m, char *ret) {
        if (m->opt->koompi_init) {
                snprintf(ret, PATH_MAX, "%s", m->opt->koompi_init);
                return 0;
        }
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
                self[n] = 0;
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = 0;
                        if (path_join(ret, self, "koompi-init") == 0 && access(ret, X_OK) == 0)
                                return 0;
                }
        }
        snprintf(ret, PATH_MAX, "%s", MKI_DEFAULT_KOOMPI_INIT);
        if (access(ret, X_OK) == 0)
                return 0;
        return mki_bad_input(m, -ENOENT,
                             "koompi-init is neither next to koompi-mkinitramfs nor at %s; "
                             "give --koompi-init PATH (or --init FILE)",
                             MKI_DEFAULT_KOOMPI_INIT);
}

static int add_init(struct mki *m) {
        char path[PATH_MAX];
        const char *what = m->opt->init ? "--init" : "koompi-init";
        struct stat st;
        int r;

        if (m->opt->init)
                snprintf(path, sizeof path, "%s", m->opt->init);
        else if ((r = find_koompi_init(m, path)) < 0)
                return r;
        if (stat(path, &st) < 0)
                return mki_bad_input(m, -errno, "%s %s: %s", what, path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return mki_bad_input(m, -EINVAL, "%s %s: not a regular file", what, path);
        if (!(st.st_mode & 0111))
                return mki_bad_input(m, -EACCES, "%s %s: not executable", what, path);
        cpio_set_segment(m->cpio, MKI_SEGMENT_INIT);
        r = cpio_add_file(m->cpio, "/init", CPIO_MODE_FROM_SOURCE, path);
        cpio_set_segment(m->cpio, MKI_SEGMENT_IMAGE);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return mki_bad_input(m, r, "%s %s: %s", what, path, strerror(-r));
        log_debug("/init is %s", path);
        return image_elf_deps(m, path);
}

static int add_keymap(struct mki *m) {
        const char *conf = m->opt->vconsole ? m->opt->vconsole : MKI_VCONSOLE_CONF;
        _cleanup_free_ char *data = NULL, *error = NULL;
        char name[256];
        size_t len = 0;

        int r = keymap_from_vconsole(conf, name, sizeof name);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return mki_bad_input(m, r, "%s: reading KEYMAP= failed: %s", conf, strerror(-r));
        r = keymap_compile(name, &data, &len, &error);
        if (error)
                log_error("%s", error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return mki_bad_input(m, r,
                                     "the console keymap %s (KEYMAP= of %s) cannot be "
                                     "compiled (see above)",
                                     name, conf);
        r = cpio_add_data(m->cpio, KEYMAP_IMAGE_PATH, 0644, data, len);
        if (r < 0)
                return log_errno(r, "adding %s failed", KEYMAP_IMAGE_PATH);
        log_debug("console keymap %s: %zu bytes", name, len);
        return 0;
}

/* The image's boot.conf is read back before it goes in: a build whose koompi-init would boot
 * on other settings than the host's (on the built-in defaults, at worst) must fail now. */
static int check_config(struct mki *m, const char *out, size_t out_len) {
        _cleanup_free_ char *error = NULL;
        char path[PATH_MAX];
        int r = path_join(path, m->stage, "boot.conf");
        if (r == 0)
                r = write_file_atomic(path, out, out_len, 0600);
        if (r < 0)
                return log_errno(r, "writing the image's boot.conf to %s failed", m->stage);
        r = mki_image_config_check(&m->config, m->opt->modules, path, out, out_len, &error);
        if (r == -EBADMSG)
                return mki_bad_input(m, r,
                                     "config %s: the image's boot.conf would not give koompi-init these "
                                     "settings: %s",
                                     m->config_path ? m->config_path : "(the defaults)", error);
        return r < 0 ? log_errno(r, "reading back the image's boot.conf failed") : 0;
}

static int add_config(struct mki *m) {
        _cleanup_free_ char *text = NULL, *out = NULL;
        const char *key = NULL;
        size_t len = 0, out_len = 0;
        int r;
        if (m->config_path) {
                r = read_file(m->config_path, &text, &len);
                if (r < 0)
                        return mki_bad_input(m, r, "config %s: %s", m->config_path, strerror(-r));
        }
        r = mki_image_config(&m->config, text, len, m->opt->modules, &out, &out_len, &key);
        if (r == -EINVAL)
                return mki_bad_input(
                        m, r, "config %s: the value of %s cannot be written into the image's boot.conf",
                        m->config_path ? m->config_path : "(the defaults)", key ? key : "a key");
        if (r < 0)
                return r;
        if (!out)
                return 0;
        r = check_config(m, out, out_len);
        if (r < 0)
                return r;
        r = cpio_add_data(m->cpio, MKI_IMAGE_CONFIG, 0644, out, out_len);
        return r < 0 ? log_errno(r, "adding %s failed", MKI_IMAGE_CONFIG) : 0;
}

/* busybox is the recovery shell (and what a custom init may be written for). An image whose
 * settings offer no shell, no technician password and no shell on failure, does not need it:
 * koompi-init does the boot and the recovery menu by itself, and switches the kernel's module
 * helper off while it loads modules. That is 2 MB less to unpack at every boot. */
static bool image_needs_busybox(const struct mki *m) {
        if (m->opt->init || m->opt->busybox)
                return true;
        return (m->config.password_hash && *m->config.password_hash) || streq_ptr(m->config.auth, "none") ||
                streq_ptr(m->config.failure_action, "shell");
}

static int add_busybox(struct mki *m, const char *path) {
        if (!image_needs_busybox(m)) {
                log_debug("no busybox: the settings offer no shell");
                return 0;
        }
        return image_busybox(m, path, m->opt->busybox != NULL);
}

static int make_stage(struct mki *m) {
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !*tmp)
                tmp = "/tmp";
        snprintf(m->stage, sizeof m->stage, "%s/koompi-mkinitramfs.XXXXXX", tmp);
        if (!mkdtemp(m->stage)) {
                int r = -errno;
                m->stage[0] = 0;
                return log_errno(r, "creating a temporary directory in %s failed", tmp);
        }
        return 0;
}

static int step(int r) {
        if (r < 0)
                return r;
        if (!mki_interrupted())
                return 0;
        log_error("interrupted; nothing was written");
        return -EINTR;
}

static int build(struct mki *m, struct mki_result *ret) {
        const char *compress = NULL;
        const char *busybox = m->opt->busybox ? m->opt->busybox : MKI_DEFAULT_BUSYBOX;
        uint32_t mtime = 0;
        int r;

        if (!m->opt->output || !*m->opt->output)
                return mki_bad_input(m, -EINVAL, "no --output given");
        if ((r = find_moddir(m)) < 0 || (r = load_config(m)) < 0 || (r = check_compression(m, &compress)) < 0)
                return r;
        if (cpio_mtime_from_env(&mtime) < 0)
                return mki_bad_input(m, -EINVAL, "SOURCE_DATE_EPOCH=%s: not a number of seconds",
                                     getenv("SOURCE_DATE_EPOCH"));
        if ((r = cpio_new(mtime, &m->cpio)) < 0 || (r = make_stage(m)) < 0)
                return r;

        if ((r = step(image_layout(m))) < 0 || (r = step(add_init(m))) < 0 ||
            (r = step(add_busybox(m, busybox))) < 0 || (r = step(add_config(m))) < 0 ||
            (r = step(add_keymap(m))) < 0 || (r = step(image_tpm2(m))) < 0)
                return r;
        for (char **i = m->config.include; i && *i; i++)
                if ((r = step(image_include(m, *i))) < 0)
                        return r;
        for (char **i = m->opt->includes; i && *i; i++)
                if ((r = step(image_include(m, *i))) < 0)
                        return r;
        if ((r = step(kmods_collect(m))) < 0 || (r = step(kmods_install(m))) < 0 ||
            (r = step(image_flush_elf(m))) < 0 || (r = step(image_busybox_links(m, busybox))) < 0)
                return r;

        r = output_write(m, m->opt->output, compress, &ret->size);
        if (r < 0)
                return r;
        ret->files = cpio_count(m->cpio);
        ret->modules = m->modules.n;
        return 0;
}

int mki_build(const struct mki_options *o, struct mki_result *ret) {
        struct mki m = { .opt = o };
        *ret = (struct mki_result) { 0 };
        int r = build(&m, ret);
        if (m.stage[0] && rm_rf(m.stage) < 0)
                log_warning("removing %s failed", m.stage);
        cpio_free(m.cpio);
        elf_closure_done(&m.elf);
        module_set_free(&m.modules);
        config_free(&m.config);
        free(m.config_path);
        if (r == -ENOMEM)
                log_error("out of memory");
        if (r >= 0)
                return MKI_EXIT_OK;
        return m.bad_input ? MKI_EXIT_INPUT : MKI_EXIT_INTERNAL;
}
