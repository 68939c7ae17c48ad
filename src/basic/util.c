/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

bool endswith(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) {
                        char *n = realloc(buf, cap * 2);
                        if (!n) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = n;
                        cap *= 2;
                }
                ssize_t r = read(fd, buf + len, cap - len - 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = -errno;
                        free(buf);
                        return e;
                }
                if (r == 0)
                        break;
                len += (size_t)r;
        }
        buf[len] = 0;
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_line_file(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

int write_full(int fd, const void *buf, size_t len) {
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int fsync_dir(int dirfd) {
        if (fsync(dirfd) == 0)
                return 0;
        if (errno != EINVAL && errno != EROFS)
                return -errno;
        /* FAT (the ESP): no fsync on directories. The entry lives in its parent's clusters;
         * syncfs writes them and the FAT itself. */
        return syncfs(dirfd) < 0 ? -errno : 0;
}

/* Inlined into write_file_atomic(), so that what uses only that (koompi-init) carries no
 * second function. */
static inline int sync_parent_dir(const char *path) {
        char dir[PATH_MAX];
        if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
                return -ENAMETOOLONG;
        char *slash = strrchr(dir, '/');
        if (!slash)
                snprintf(dir, sizeof dir, ".");
        else
                slash[slash == dir] = 0;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync_dir(fd);
}

int fsync_renamed(int dirfd, const char *name) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

int fsync_parent_dir(const char *path) {
        return sync_parent_dir(path);
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode) {
        char tmp[PATH_MAX];
        int fd = -1;
        /* Never into a temporary left by a power cut (PID 1 has the same PID every boot): on
         * FAT one cut inside its fsync names clusters the FAT calls free, and truncating it
         * makes Linux set the whole ESP read-only. */
        for (unsigned n = 0; fd < 0 && n < 100; n++) {
                if (snprintf(tmp, sizeof tmp, "%s.tmp%d.%u", path, (int)getpid(), n) >= (int)sizeof tmp)
                        return -ENAMETOOLONG;
                fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
        }
        if (fd < 0)
                return -EEXIST;
        int r = write_full(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        /* Once more under its new name: on FAT the rename left its size and clusters unwritten
         * (fsync_renamed()). */
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        return sync_parent_dir(path);
}

int mkdir_p(const char *path, unsigned mode) {
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int parse_uint(const char *s, unsigned *ret) {
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > UINT_MAX)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

int parse_duration_ms(const char *s, unsigned *ret) {
        if (!s || !*s || *s == '-')
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        unsigned long mul;
        if (!*end || streq(end, "s") || streq(end, "sec"))
                mul = 1000;
        else if (streq(end, "ms"))
                mul = 1;
        else if (streq(end, "min") || streq(end, "m"))
                mul = 60000;
        else
                return -EINVAL;
        if (v > UINT_MAX / mul)
                return -ERANGE;
        *ret = (unsigned)(v * mul);
        return 0;
}

uint64_t now_boottime_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_monotonic_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void secure_wipe(void *p, size_t n) {
        if (p)
                explicit_bzero(p, n);
}

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p) {
                fputs("out of memory\n", stderr);
                abort();
        }
        return p;
}

char *strdup_or_die(const char *s) {
        char *d = strdup(s);
        if (!d) {
                fputs("out of memory\n", stderr);
                abort();
        }
        return d;
}

/* A UTF-8 sequence starting at p: its length, or 0 when it is not valid (overlong, surrogate,
 * beyond U+10FFFF, cut). */
static size_t utf8_len(const unsigned char *p) {
        unsigned c = p[0];
        size_t n;
        unsigned min, v;
        if (c < 0x80)
                return 1;
        if ((c & 0xe0) == 0xc0)
                n = 2, min = 0x80, v = c & 0x1f;
        else if ((c & 0xf0) == 0xe0)
                n = 3, min = 0x800, v = c & 0x0f;
        else if ((c & 0xf8) == 0xf0)
                n = 4, min = 0x10000, v = c & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                v = v << 6 | (p[i] & 0x3f);
        }
        if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return 0;
        return n;
}

void json_write_string(FILE *f, const char *s) {
        const unsigned char *p = (const unsigned char *)(s ? s : "");
        fputc('"', f);
        while (*p) {
                size_t n = utf8_len(p);
                if (n == 0) {
                        /* Names and notes read from disk may hold any bytes: never let them
                         * break the JSON. */
                        fputs("\\ufffd", f);
                        p++;
                } else if (n > 1) {
                        fwrite(p, 1, n, f);
                        p += n;
                } else {
                        if (*p == '"' || *p == '\\')
                                fprintf(f, "\\%c", *p);
                        else if (*p == '\n')
                                fputs("\\n", f);
                        else if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                        p++;
                }
        }
        fputc('"', f);
}
