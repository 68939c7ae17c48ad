/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgpinned.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "apply.h"
#include "minisign.h"
#include "pkgboot.h"
#include "pkgdownload.h"
#include "rootpacman.h"
#include "sandbox.h"
#include "strv.h"
#include "tool.h"
#include "util.h"
#include "verify.h"

/* pacman's answer to -Sp: file names, a line each. */
#define RESOLVE_MAX (1024 * 1024)

/* The booted root's kept file name into buf. */
static int kept_path(const struct pkgjob *j, const char *name, char *buf, size_t size) {
        const char *root = j->conf->packages.pacman_root;
        return snprintf(buf, size, "%s%s%s/%s", root, endswith(root, "/") ? "" : "/", APPLY_KEPT_DIR, name) >=
                        (int)size
                ? -ENAMETOOLONG
                : 0;
}

/* The manifest's text and its signature's (NULL when there is none). 0, -ENOENT when the root
 * keeps no manifest, or a negative errno. */
static int read_kept(const struct pkgjob *j, char **ret_text, size_t *ret_len, char **ret_sig) {
        char path[PATH_MAX];
        char *text = NULL, *sig = NULL;
        int r = kept_path(j, "manifest.json", path, sizeof path);
        if (r >= 0)
                r = read_file(path, &text, ret_len);
        if (r >= 0)
                r = kept_path(j, "manifest.json.minisig", path, sizeof path);
        if (r >= 0 && (r = read_file(path, &sig, NULL)) == -ENOENT)
                r = 0; /* refused below, as a missing signature */
        if (r < 0) {
                free(text);
                return r;
        }
        *ret_text = text;
        *ret_sig = sig;
        return 0;
}

static int verify_kept(const struct pkgjob *j, const char *text, size_t len, const char *sig,
                       struct manifest *ret, struct update_refusal *why) {
        _cleanup_free_ struct minisign_pubkey *keys = NULL;
        size_t n = 0;
        if (minisign_keys_load(j->conf->update_keys_dir, &keys, &n) < 0)
                n = 0; /* no key: refused as signed by a key not trusted here */
        const struct update_trust t = { .keys = keys, .n_keys = n };
        int r = update_verify_kept(&t, text, len, sig, ret, why);
        if (r >= 0 && (r = apply_repo_check(ret, why)) < 0)
                manifest_free(ret);
        /* A signature missing beside a manifest is a refusal, not a root without one. */
        return r == -ENOENT ? -EKEYREJECTED : r;
}

int pkgpinned_load(const struct pkgjob *j, struct pkgpinned *ret, char *error, size_t size) {
        _cleanup_free_ char *sig = NULL;
        struct update_refusal why = { 0 };
        struct pkgpinned p = { 0 };
        size_t len;
        int r = read_kept(j, &p.text, &len, &sig);
        if (r == -ENOENT)
                return r;
        if (r < 0) {
                snprintf(error, size, "the release manifest this root keeps could not be read: %s",
                         strerror(-r));
                return r;
        }
        r = verify_kept(j, p.text, len, sig, &p.m, &why);
        if (r < 0) {
                snprintf(error, size, "the release manifest this root keeps is refused, nothing changed: %s",
                         why.reason);
                free(p.text);
                return r;
        }
        *ret = p;
        return 0;
}

void pkgpinned_free(struct pkgpinned *p) {
        manifest_free(&p->m);
        free(p->text);
        *p = (struct pkgpinned) { 0 };
}

void pkgpinned_describe(const struct pkgjob *j, char *buf, size_t size) {
        char error[256];
        struct pkgpinned p;
        int r = pkgpinned_load(j, &p, error, sizeof error);
        if (r == -ENOENT)
                snprintf(buf, size,
                         "from the root's own databases ([packages] pacman_conf): this root keeps no "
                         "release manifest");
        else if (r < 0)
                snprintf(buf, size, "%s", error);
        else {
                snprintf(buf, size,
                         "from release %s's pinned repository, checked against its signed manifest",
                         p.m.version);
                pkgpinned_free(&p);
        }
}

static bool has_name(const struct manifest *m, const char *name) {
        for (size_t i = 0; i < m->n_packages; i++)
                if (streq(m->packages[i].name, name))
                        return true;
        return false;
}

/* The file names of pacman's locations, a line each: "file:///srv/koompi/gimp-3-1-any.pkg.tar.zst"
 * (the server is the pinned configuration's; %f, the name alone, is pacman 6.1's). */
static char **file_names(char *text) {
        char **v = NULL;
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                if (strv_extend(&v, strrchr(l, '/') ? strrchr(l, '/') + 1 : l) < 0)
                        abort();
        return v;
}

/* pacman -Sp on the booted root's database: the files names need, with the dependencies not
 * installed there. The database is the read-only root's, trusted; nothing from the network is
 * read here. 0 with *ret (strv_free() it), pacman's exit status, or a negative errno. */
static int resolve(const struct pkgjob *j, const char *conf, char *const *names, char ***ret) {
        char dbpath[PATH_MAX];
        int r = root_pacman_dbpath(j->conf->packages.pacman_root, dbpath, sizeof dbpath);
        if (r < 0)
                return r;
        char **argv = NULL;
        const char *fixed[] = { "/usr/bin/pacman", "--config",       conf, "--dbpath", dbpath, "-Sp",
                                "--needed",        "--print-format", "%l", "--",       NULL };
        for (const char **a = fixed; *a; a++)
                if (strv_extend(&argv, *a) < 0)
                        abort();
        for (char *const *n = names; *n; n++)
                if (strv_extend(&argv, *n) < 0)
                        abort();
        _cleanup_free_ char *out = NULL;
        r = tool_capture(argv, RESOLVE_MAX, &out);
        strv_free(argv);
        if (r != 0)
                return r;
        *ret = file_names(out);
        return 0;
}

/* The package name of a pacman file name ("gimp-3.0-1-x86_64.pkg.tar.zst": "gimp"). */
static void file_package(const char *file, char *buf, size_t size) {
        snprintf(buf, size, "%s", file);
        for (int dashes = 0; dashes < 3; dashes++) {
                char *d = strrchr(buf, '-');
                if (!d)
                        return;
                *d = '\0';
        }
}

/* The names, then every file pacman needs, must be the release's. */
static int check_release(const struct pkgjob *j, struct pkgpinned *p, char *const *names, const char *conf,
                         char ***ret_files, char *error, size_t size) {
        const char *missing = NULL;
        char pkg[256];
        for (char *const *n = names; *n; n++)
                if (!has_name(&p->m, *n)) {
                        snprintf(error, size, "%s is not in release %s's repository, nothing changed", *n,
                                 p->m.version);
                        return -ENOENT;
                }
        int r = resolve(j, conf, names, ret_files);
        if (r > 0)
                snprintf(error, size,
                         "pacman could not resolve what %s needs on this root's database (exit %d), nothing "
                         "changed",
                         names[0], r);
        else if (r < 0)
                snprintf(error, size, "pacman could not be run to resolve what %s needs: %s", names[0],
                         strerror(-r));
        if (r != 0)
                return r > 0 ? -ENOENT : r;
        if (manifest_keep_files(&p->m, *ret_files, &missing) >= 0)
                return 0;
        file_package(missing, pkg, sizeof pkg);
        snprintf(error, size, "%s (%s) is not in release %s's repository: refused, nothing changed", pkg,
                 missing, p->m.version);
        return -EPERM;
}

static char *install_command(char *const *names) {
        _cleanup_free_ char *args = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&args, &len);
        if (!f)
                abort();
        fprintf(f, "--config %s/pacman.conf -S --needed --noconfirm --", SANDBOX_CACHE_DIR);
        for (char *const *n = names; *n; n++)
                fprintf(f, " %s", *n);
        fclose(f);
        return root_pacman_command(args);
}

/* The checked copy into a new root. */
static int install_from(const struct pkgjob *j, struct pkgjob_out *o, struct pkgpinned *p, char *const *names,
                        const char *dir, char *error, size_t size) {
        struct update_refusal why = { 0 };
        int r = apply_cache_verify(&p->m, dir, &why);
        if (r < 0) {
                snprintf(error, size, "refused, nothing changed: %s", why.reason);
                return r;
        }
        r = apply_pacman_conf(&p->m, dir, SANDBOX_CACHE_DIR);
        if (r < 0) {
                snprintf(error, size, "writing %s/pacman.conf failed: %s", dir, strerror(-r));
                return r;
        }
        _cleanup_free_ char *cmd = install_command(names);
        pkgout_progress(o, "pacman: a new root with %s from release %s", names[0], p->m.version);
        return pkgboot_update(j, o, "--run", cmd, dir, error, size);
}

static int install_in(const struct pkgjob *j, struct pkgjob_out *o, struct pkgpinned *p, char *const *names,
                      const char *dir, char *error, size_t size) {
        char **files = NULL;
        char conf[PATH_MAX];
        int r = snprintf(conf, sizeof conf, "%s/pacman.conf", dir) >= (int)sizeof conf ? -ENAMETOOLONG : 0;
        /* Root's, before pacman reads a configuration from it. */
        if (r >= 0)
                r = apply_cache_prepare(dir, 0, 0);
        if (r >= 0)
                r = apply_pacman_conf(&p->m, dir, dir);
        if (r < 0) {
                snprintf(error, size, "the folder %s could not be made: %s", dir, strerror(-r));
                return r;
        }
        r = check_release(j, p, names, conf, &files, error, size);
        if (r >= 0)
                r = pkgdownload_run(j, o, p->text, files, dir, error, size);
        strv_free(files);
        return r < 0 ? r : install_from(j, o, p, names, dir, error, size);
}

int pkgpinned_install(const struct pkgjob *j, struct pkgjob_out *o, struct pkgpinned *p, char *const *names,
                      char *error, size_t size) {
        char dir[PATH_MAX];
        if (snprintf(dir, sizeof dir, "%s/update/install", j->state_dir) >= (int)sizeof dir)
                return -ENAMETOOLONG;
        /* What an earlier try left is not trusted, nor resumed: the folder starts empty. */
        apply_cache_remove(dir);
        int r = install_in(j, o, p, names, dir, error, size);
        apply_cache_remove(dir);
        return r;
}
