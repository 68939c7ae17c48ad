/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "apply.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootpacman.h"
#include "util.h"
#include "verify.h"

int apply_cache_path(const char *state_dir, const char *version, char *buf, size_t size) {
        if (!update_version_valid(version))
                return -EINVAL;
        if (snprintf(buf, size, "%s/update/cache/%s", state_dir, version) >= (int)size)
                return -ENAMETOOLONG;
        return 0;
}

static bool is_db(const struct manifest *m, const struct manifest_package *p) {
        size_t n = strlen(m->repo_name);
        return strncmp(p->file, m->repo_name, n) == 0 && streq(p->file + n, ".db");
}

/* pacman's own rule for a package name; one that passes is a single word to a shell. */
static bool pacman_name_valid(const char *s) {
        return *s && *s != '-' && *s != '.' &&
                s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789@._+-")] == '\0';
}

int apply_repo_check(const struct manifest *m, struct update_refusal *why) {
        bool db = false;
        for (size_t i = 0; i < m->n_packages; i++) {
                if (is_db(m, &m->packages[i]))
                        db = true;
                else if (!pacman_name_valid(m->packages[i].name))
                        return update_refuse(why, -EBADMSG,
                                             "malformed manifest: \"%s\" is not a package name",
                                             m->packages[i].name);
        }
        return db ? 0
                  : update_refuse(
                            why, -EBADMSG,
                            "malformed manifest: its packages do not list the repository's database %s.db",
                            m->repo_name);
}

int apply_cache_prepare(const char *dir, uid_t uid, gid_t gid) {
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        if (chown(dir, uid, gid) < 0 || chmod(dir, 0755) < 0)
                return -errno;
        return 0;
}

/* dir/file made root's, when it is a regular file. 0, -ENOENT, -EILSEQ or a negative errno. */
static int take_file(const char *dir, const char *file, struct update_refusal *why) {
        char path[PATH_MAX];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
                return update_refuse(why, -ENAMETOOLONG, "%s/%s: the path is too long", dir, file);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 && (errno == ELOOP || errno == ENXIO))
                return update_refuse(why, -EILSEQ, "%s is not a regular file", path);
        if (fd < 0)
                return update_refuse(why, -errno, "%s: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return update_refuse(why, -EILSEQ, "%s is not a regular file", path);
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0644) < 0)
                return update_refuse(why, -errno, "%s: %s", path, strerror(errno));
        return 0;
}

int apply_cache_verify(const struct manifest *m, const char *dir, struct update_refusal *why) {
        if (chown(dir, 0, 0) < 0)
                return update_refuse(why, -errno, "%s: %s", dir, strerror(errno));
        for (size_t i = 0; i < m->n_packages; i++) {
                char path[PATH_MAX];
                int r = take_file(dir, m->packages[i].file, why);
                if (r < 0)
                        return r;
                snprintf(path, sizeof path, "%s/%s", dir, m->packages[i].file);
                r = update_verify_package(&m->packages[i], path, why);
                if (r == -EILSEQ)
                        unlink(path);
                if (r < 0)
                        return r;
        }
        return 0;
}

void apply_cache_remove(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d)
                return;
        fd = -1; /* the DIR owns it now */
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_type == DT_REG)
                        unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        rmdir(dir);
}

/* dir/name replaced by text: whatever was there under that name goes first. */
static int write_root_file(const char *dir, const char *name, const char *text) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
                return -ENAMETOOLONG;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return write_file_atomic(path, text, strlen(text), 0644);
}

int apply_pacman_conf(const struct manifest *m, const char *dir, const char *mount) {
        _cleanup_free_ char *text = NULL;
        int len =
                asprintf(&text,
                         "# Release %s of channel %s: its repository only, from the copy verified against\n"
                         "# the signed manifest (hence no signature is asked of pacman).\n"
                         "[options]\nArchitecture = auto\nDBPath = /%s/\nCacheDir = %s/\nSigLevel = Never\n\n"
                         "[%s]\nSigLevel = Never\nServer = file://%s\n",
                         m->version, m->channel, ROOT_PACMAN_DBPATH, mount, m->repo_name, mount);
        if (len < 0)
                return -ENOMEM;
        /* Whatever the download left under that name goes first: the file is root's own. */
        return write_root_file(dir, "pacman.conf", text);
}

char *apply_pacman_args(const char *mount, const struct manifest *m) {
        char *s;
        if (asprintf(&s, "--config %s/pacman.conf -Syu --noconfirm --needed --", mount) < 0)
                abort();
        for (size_t i = 0; i < m->n_packages; i++) {
                char *more;
                if (is_db(m, &m->packages[i]))
                        continue;
                if (asprintf(&more, "%s %s", s, m->packages[i].name) < 0)
                        abort();
                free(s);
                s = more;
        }
        return s;
}

char *apply_command(const char *mount, const struct manifest *m) {
        _cleanup_free_ char *args = apply_pacman_args(mount, m);
        return root_pacman_command(args);
}

int apply_keep_manifest(const char *dir, const char *text, const char *sig) {
        int r = write_root_file(dir, "manifest.json", text);
        return r < 0 ? r : write_root_file(dir, "manifest.json.minisig", sig);
}

char *apply_keep_command(const char *command, const char *mount) {
        char *s;
        if (asprintf(&s, "%1$s && mkdir -p /%2$s && cp %3$s/manifest.json %3$s/manifest.json.minisig /%2$s/",
                     command, APPLY_KEPT_DIR, mount) < 0)
                abort();
        return s;
}

int apply_root_from_output(const char *out, char *buf, size_t size) {
        for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                char name[256];
                int n = 0;
                /* The literal after %s counts in no return value: %n says it matched. */
                if (sscanf(p, "update: %255s made from %n", name, &n) == 1 && n > 0 &&
                    strncmp(p, "update: ", 8) == 0 && strlen(name) < size) {
                        snprintf(buf, size, "%s", name);
                        return 0;
                }
        }
        return -ENOENT;
}

int apply_record(const char *state_dir, const char *version) {
        char path[PATH_MAX], line[128];
        if (!update_version_valid(version))
                return -EINVAL;
        snprintf(path, sizeof path, "%s/update", state_dir);
        int r = mkdir_p(path, 0755);
        if (r < 0)
                return r;
        snprintf(path, sizeof path, "%s/update/current", state_dir);
        snprintf(line, sizeof line, "%s\n", version);
        return write_file_atomic(path, line, strlen(line), 0644);
}
