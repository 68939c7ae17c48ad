/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgkeep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkgargs.h"
#include "util.h"

bool pkgkeep_file_valid(const char *s) {
        size_t len = strlen(s);
        return len > 0 && len < 256 && *s != '.' && *s != '-' &&
                s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._+:-")] == '\0';
}

int pkgkeep_dir(const char *state_dir, const char *name, const char *suffix, char *buf, size_t size) {
        if (!pkg_name_valid(name))
                return -EINVAL;
        if (snprintf(buf, size, "%s/packages/aur/%s%s", state_dir, name, suffix) >= (int)size)
                return -ENAMETOOLONG;
        return 0;
}

static int copy_fd(int in, int out, struct sha256_ctx *c) {
        char buf[65536];
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : 0;
                sha256_update(c, buf, (size_t)n);
                int r = write_full(out, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
}

int pkgkeep_copy(const char *from, const char *to, char hex[SHA256_HEX_SIZE]) {
        struct sha256_ctx c;
        struct stat st;
        uint8_t digest[SHA256_DIGEST_SIZE];
        _cleanup_close_ int in = open(from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (in < 0)
                return -errno;
        if (fstat(in, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        _cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (out < 0)
                return -errno;
        sha256_init(&c);
        int r = copy_fd(in, out, &c);
        if (r >= 0 && (fchmod(out, 0644) < 0 || fsync(out) < 0))
                r = -errno;
        if (r < 0) {
                unlink(to);
                return r;
        }
        sha256_final(&c, digest);
        sha256_to_hex(digest, hex);
        return 0;
}

/* Each file into dir, its line into sums. */
static int stage_files(const char *dir, char *const *paths, FILE *sums) {
        for (char *const *p = paths; p && *p; p++) {
                const char *base = strrchr(*p, '/') ? strrchr(*p, '/') + 1 : *p;
                char to[PATH_MAX], hex[SHA256_HEX_SIZE];
                if (!pkgkeep_file_valid(base))
                        return -EINVAL;
                if (snprintf(to, sizeof to, "%s/%s", dir, base) >= (int)sizeof to)
                        return -ENAMETOOLONG;
                int r = pkgkeep_copy(*p, to, hex);
                if (r < 0)
                        return r;
                fprintf(sums, "%s  %s\n", hex, base);
        }
        return 0;
}

int pkgkeep_stage(const char *state_dir, const char *name, char *const *paths) {
        char dir[PATH_MAX], path[PATH_MAX + 16];
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = pkgkeep_dir(state_dir, name, ".new", dir, sizeof dir);
        if (r < 0)
                return r;
        (void)pkgkeep_remove(state_dir, name, ".new");
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                abort();
        r = stage_files(dir, paths, f);
        fclose(f);
        snprintf(path, sizeof path, "%s/" PKGKEEP_SUMS, dir);
        if (r >= 0)
                r = write_file_atomic(path, text, len, 0644);
        if (r < 0)
                (void)pkgkeep_remove(state_dir, name, ".new");
        return r;
}

int pkgkeep_remove(const char *state_dir, const char *name, const char *suffix) {
        char dir[PATH_MAX];
        int r = pkgkeep_dir(state_dir, name, suffix, dir, sizeof dir);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        DIR *d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1; /* the DIR owns it now */
        /* The folder holds files only: it is written here alone. */
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        return rmdir(dir) < 0 ? -errno : 0;
}

int pkgkeep_commit(const char *state_dir, const char *name) {
        char dir[PATH_MAX], staged[PATH_MAX];
        int r = pkgkeep_dir(state_dir, name, "", dir, sizeof dir);
        if (r >= 0)
                r = pkgkeep_dir(state_dir, name, ".new", staged, sizeof staged);
        if (r >= 0)
                r = pkgkeep_remove(state_dir, name, "");
        if (r < 0)
                return r;
        if (rename(staged, dir) < 0)
                return -errno;
        return fsync_parent_dir(dir);
}

/* "HEX  FILE" into f. 0 or -EBADMSG. */
static int parse_sum(const char *line, size_t len, struct pkgkeep_file *f) {
        if (len < 67 || len - 66 >= sizeof f->name || line[64] != ' ' || line[65] != ' ')
                return -EBADMSG;
        memcpy(f->sha256, line, 64);
        f->sha256[64] = '\0';
        memcpy(f->name, line + 66, len - 66);
        f->name[len - 66] = '\0';
        if (strspn(f->sha256, "0123456789abcdef") != 64 || !pkgkeep_file_valid(f->name))
                return -EBADMSG;
        return 0;
}

int pkgkeep_read(const char *state_dir, const char *name, struct pkgkeep_file **ret, size_t *n) {
        char path[PATH_MAX];
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ struct pkgkeep_file *files = NULL;
        size_t k = 0;
        int r = pkgkeep_dir(state_dir, name, "/" PKGKEEP_SUMS, path, sizeof path);
        if (r >= 0)
                r = read_file(path, &text, NULL);
        if (r < 0)
                return r;
        for (const char *p = text; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
                struct pkgkeep_file *more = realloc(files, (k + 1) * sizeof *files);
                if (!more)
                        return -ENOMEM;
                files = more;
                r = parse_sum(p, strcspn(p, "\n"), &files[k++]);
                if (r < 0)
                        return r;
        }
        if (k == 0)
                return -ENOENT;
        *ret = files;
        files = NULL;
        *n = k;
        return 0;
}
