/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) {
        free(*(void **)p);
}
static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? streq(a, b) : a == b;
}
/* Returns the rest of s after prefix, or NULL. */
static inline const char *startswith(const char *s, const char *prefix) {
        size_t n = strlen(prefix);
        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}
bool endswith(const char *s, const char *suffix);

/* Reads a whole file (NUL-terminated) into *ret. 0 or negative errno. */
int read_file(const char *path, char **ret, size_t *ret_len);
/* Reads one line of a small file (a sysfs attribute), without the newline. */
int read_line_file(const char *path, char *buf, size_t size);
/* Makes the names in a directory durable (after a rename, a create or an unlink): fsync of the
 * directory, or where the filesystem refuses that (FAT, the ESP: EINVAL) a syncfs of the whole
 * filesystem. 0 or negative errno. */
int fsync_dir(int dirfd);
/* fsync of the file or directory name in dirfd, just renamed there. On FAT (the ESP) a rename
 * gives the inode a new directory entry that records its first cluster and size only when the
 * inode is written again (seconds later): a power cut before that leaves the new name empty (a
 * directory: pointing at the root) and the old one gone. Elsewhere nothing is left to write.
 * 0 or the negative errno of opening or syncing it. */
int fsync_renamed(int dirfd, const char *name);
/* fsync_dir() of the directory holding path ("." for a bare name). 0, -ENAMETOOLONG, or the
 * negative errno of opening or syncing the directory. */
int fsync_parent_dir(const char *path);
/* A new temp file in the same directory (none a crash left is reused), fsync, rename over path,
 * fsync again (see fsync_renamed()), fsync of the directory. 0 or negative errno (-EEXIST when
 * 100 temporaries are in the way). */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
int mkdir_p(const char *path, unsigned mode);
/* Writes everything or fails with negative errno. */
int write_full(int fd, const void *buf, size_t len);
int parse_uint(const char *s, unsigned *ret);
/* "30", "30s", "500ms", "2min" -> milliseconds. */
int parse_duration_ms(const char *s, unsigned *ret);
/* Milliseconds of CLOCK_BOOTTIME: time since the kernel started. */
uint64_t now_boottime_ms(void);
uint64_t now_monotonic_us(void);
/* Wipes memory in a way the compiler cannot drop. */
void secure_wipe(void *p, size_t n);
char *strdup_or_die(const char *s);
void *xmalloc(size_t n);
/* Writes s (NULL: "") as a JSON string to f: '"', '\\' and control characters escaped, valid
 * UTF-8 kept as it is, every byte that is not part of valid UTF-8 written as U+FFFD. Errors
 * stay in f (ferror). */
#include <stdio.h>
void json_write_string(FILE *f, const char *s);
