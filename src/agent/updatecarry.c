/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "updatecarry.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pkgargs.h"
#include "pkgkeep.h"
#include "rootpacman.h"
#include "strv.h"
#include "util.h"

/* The repository's database is listed like a package; it is no package to carry. */
static bool is_db(const struct manifest *m, const struct manifest_package *p) {
        size_t n = strlen(m->repo_name);
        return strncmp(p->file, m->repo_name, n) == 0 && streq(p->file + n, ".db");
}

/* The carried copy's name in the cache folder: apart from the release's own files. */
#define CARRY_PREFIX "aur."

static char **read_names(const char *path, int *ret_error) {
        _cleanup_free_ char *text = NULL;
        char **names = NULL;
        int r = read_file(path, &text, NULL);
        *ret_error = r == -ENOENT ? 0 : r;
        if (r < 0)
                return NULL;
        for (char *save = NULL, *n = strtok_r(text, "\n", &save); n; n = strtok_r(NULL, "\n", &save))
                if (pkg_name_valid(n) && strv_extend(&names, n) < 0)
                        abort();
        return names;
}

static void add(char ***list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char ***list, const char *fmt, ...) {
        char *s;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0 || strv_consume(list, s) < 0)
                abort();
        va_end(ap);
}

static bool manifest_has(const struct manifest *m, const char *name) {
        for (size_t i = 0; i < m->n_packages; i++)
                if (streq(m->packages[i].name, name) && !is_db(m, &m->packages[i]))
                        return true;
        return false;
}

static void carry_pacman(struct updatecarry *c, char **names, const struct manifest *m) {
        for (char **n = names; n && *n; n++)
                if (manifest_has(m, *n))
                        add(&c->carried, "%s", *n);
                else
                        add(&c->not_carried,
                            "%s: the repository of release %s does not list it, and it is installed from "
                            "nowhere else (it stays in pacman.list)",
                            *n, m->version);
}

/* One kept file into dir. 0, -EILSEQ when it no longer matches, or a negative errno. */
static int take_kept(const char *kept, const struct pkgkeep_file *f, const char *dir) {
        char from[PATH_MAX], to[PATH_MAX], hex[SHA256_HEX_SIZE];
        if (snprintf(from, sizeof from, "%s/%s", kept, f->name) >= (int)sizeof from ||
            snprintf(to, sizeof to, "%s/" CARRY_PREFIX "%s", dir, f->name) >= (int)sizeof to)
                return -ENAMETOOLONG;
        (void)unlink(to);
        int r = pkgkeep_copy(from, to, hex);
        if (r >= 0 && !streq(hex, f->sha256)) {
                unlink(to);
                r = -EILSEQ;
        }
        return r;
}

static void drop_copies(const char *dir, const struct pkgkeep_file *kept, size_t n) {
        for (size_t k = 0; k < n; k++) {
                char to[PATH_MAX];
                snprintf(to, sizeof to, "%s/" CARRY_PREFIX "%s", dir, kept[k].name);
                unlink(to);
        }
}

/* The kept files of name into dir, all or none. */
static void carry_aur_one(struct updatecarry *c, const char *state_dir, const char *name, const char *dir) {
        _cleanup_free_ struct pkgkeep_file *kept = NULL;
        char kdir[PATH_MAX];
        size_t n = 0, i = 0;
        int r = pkgkeep_read(state_dir, name, &kept, &n);
        if (r < 0)
                return add(&c->not_carried,
                           "%s: no built file of it is kept (%s); koompi install --from aur %s keeps one",
                           name, strerror(-r), name);
        r = pkgkeep_dir(state_dir, name, "", kdir, sizeof kdir);
        for (; i < n && r >= 0; i++)
                r = take_kept(kdir, &kept[i], dir);
        if (r == -EILSEQ)
                add(&c->not_carried,
                    "%s: its kept file %s no longer matches the SHA-256 recorded when it was built: refused",
                    name, kept[i - 1].name);
        else if (r < 0)
                add(&c->not_carried, "%s: its kept file could not be copied: %s", name, strerror(-r));
        if (r < 0)
                return drop_copies(dir, kept, i);
        for (size_t k = 0; k < n; k++)
                add(&c->files, CARRY_PREFIX "%s", kept[k].name);
        add(&c->carried, "%s", name);
}

static int list_path(const char *state_dir, const char *list, char *buf, size_t size) {
        return snprintf(buf, size, "%s/packages/%s", state_dir, list) >= (int)size ? -ENAMETOOLONG : 0;
}

/* The names of the packages in root's local database: its folders are NAME-VERSION-RELEASE. */
static void add_installed(const char *root, char ***names) {
        char db[PATH_MAX], local[PATH_MAX + 8];
        if (root_pacman_dbpath(root, db, sizeof db) < 0)
                return;
        snprintf(local, sizeof local, "%s/local", db);
        DIR *d = opendir(local);
        for (struct dirent *de; d && (de = readdir(d));) {
                char name[256];
                snprintf(name, sizeof name, "%s", de->d_name);
                for (int dashes = 0; dashes < 2 && strrchr(name, '-'); dashes++)
                        *strrchr(name, '-') = '\0';
                if (de->d_type == DT_DIR && strchr(de->d_name, '-') && pkg_name_valid(name))
                        add(names, "%s", name);
        }
        if (d)
                closedir(d);
}

int updatecarry_optional_names(const char *state_dir, const char *root, char ***ret) {
        char path[PATH_MAX];
        int r = list_path(state_dir, "pacman.list", path, sizeof path);
        char **names = r < 0 ? NULL : read_names(path, &r);
        if (r < 0)
                return r;
        add_installed(root, &names);
        *ret = names;
        return 0;
}

int updatecarry_prepare(struct updatecarry *c, const char *state_dir, const struct manifest *m,
                        const char *dir) {
        char pacman[PATH_MAX], aur[PATH_MAX];
        int r = list_path(state_dir, "pacman.list", pacman, sizeof pacman);
        if (r >= 0)
                r = list_path(state_dir, "aur.list", aur, sizeof aur);
        if (r < 0)
                return r;
        int r1, r2;
        char **pacman_names = read_names(pacman, &r1), **aur_names = read_names(aur, &r2);
        struct updatecarry out = { 0 };
        if (r1 >= 0 && r2 >= 0) {
                carry_pacman(&out, pacman_names, m);
                for (char **n = aur_names; n && *n; n++)
                        carry_aur_one(&out, state_dir, *n, dir);
                *c = out;
        }
        strv_free(pacman_names);
        strv_free(aur_names);
        return r1 < 0 ? r1 : r2;
}

char *updatecarry_command(const struct updatecarry *c, const char *command, const char *mount) {
        char *s = NULL;
        size_t len = 0;
        if (!c->files)
                return NULL;
        FILE *f = open_memstream(&s, &len);
        if (!f)
                abort();
        fprintf(f, "%s && pacman --config %s/pacman.conf -U --noconfirm --needed --", command, mount);
        for (char **n = c->files; *n; n++)
                fprintf(f, " %s/%s", mount, *n);
        fclose(f);
        return s;
}

static json_object *strv_json(char **v) {
        json_object *a = json_object_new_array();
        for (char **p = v; p && *p; p++)
                json_object_array_add(a, json_object_new_string(*p));
        return a;
}

void updatecarry_answer(const struct updatecarry *c, json_object *o) {
        json_object_object_add(o, "carried", strv_json(c->carried));
        json_object_object_add(o, "not_carried", strv_json(c->not_carried));
}

void updatecarry_free(struct updatecarry *c) {
        strv_free(c->carried);
        strv_free(c->not_carried);
        strv_free(c->files);
        *c = (struct updatecarry) { 0 };
}
