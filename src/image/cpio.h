/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A writer of cpio archives in the "newc" format (magic 070701), the format the kernel
 * unpacks into its rootfs. Entries are collected first and written on cpio_write*(): sorted
 * by path (so every directory comes before what it holds), all owned by root, every mtime
 * the one given to cpio_new(), inode numbers assigned in that order. The same entries give
 * the same bytes whatever order they were added in.
 *
 * Paths are taken relative to the root of the archive: "/usr/bin/sh", "usr/bin/sh" and
 * "usr//bin/./sh" are the same entry, ".." goes one directory up. Missing parent directories
 * are added (mode 0755). A parent that is a symlink of the archive is followed, as the kernel
 * would when it unpacks, so with "lib" -> "usr/lib" in the archive, "/lib/libc.so.6" is stored
 * as "usr/lib/libc.so.6".
 *
 * Adding a path again is a success when the new entry is the same (the same kind, target,
 * source file or bytes; directories always merge), -EEXIST otherwise. A path that is, or is
 * below, "TRAILER!!!" once resolved is refused with -EINVAL: the name ends an archive. */

struct cpio;

/* Mode argument of cpio_add_file(): take the permission bits of the source file. */
#define CPIO_MODE_FROM_SOURCE ((unsigned)-1)

/* The mtime of reproducible archives: SOURCE_DATE_EPOCH when set, else 0. -EINVAL when the
 * variable is not a number of seconds that fits the format (32 bits). */
int cpio_mtime_from_env(uint32_t *ret);

int cpio_new(uint32_t mtime, struct cpio **ret);
/* NULL is fine. Returns NULL. */
struct cpio *cpio_free(struct cpio *c);
static inline void cpio_freep(struct cpio **c) {
        cpio_free(*c);
}
#define _cleanup_cpio_ __attribute__((cleanup(cpio_freep)))

/* mode: permission bits (07777). */
int cpio_add_dir(struct cpio *c, const char *path, unsigned mode);
/* The content of src (a regular file, or a symlink to one) is read by cpio_write*(); it is
 * opened here once so that a missing or unreadable file fails now. */
int cpio_add_file(struct cpio *c, const char *path, unsigned mode, const char *src);
/* The bytes are copied. */
int cpio_add_data(struct cpio *c, const char *path, unsigned mode, const void *data, size_t len);
int cpio_add_symlink(struct cpio *c, const char *path, const char *target);
int cpio_add_chardev(struct cpio *c, const char *path, unsigned mode, unsigned major, unsigned minor);

/* Whether path names an entry (its parents resolved as when adding); *ret_mode (may be
 * NULL) gets its type and permission bits. 0 or -ENOENT. */
int cpio_stat(struct cpio *c, const char *path, unsigned *ret_mode);
/* Number of entries, the directories added implicitly included, the trailer not. */
size_t cpio_count(const struct cpio *c);

/* Segments. Every entry belongs to the segment current when it was added (0 at first);
 * cpio_write_segment() writes one segment as a whole archive of its own: its entries and the
 * directories above them. The kernel unpacks archives laid end to end (each compressed or
 * not) one after the other, so an image may be made of segments, and a segment whose inputs
 * did not change can be reused, already compressed. Directories belong to no segment. */
void cpio_set_segment(struct cpio *c, unsigned segment);
/* Number of entries of a segment, directories not counted. */
size_t cpio_segment_count(const struct cpio *c, unsigned segment);
/* A digest of everything the bytes of cpio_write_segment() depend on: each entry's path,
 * mode and content (a source file's read in full, wherever it lies: the same bytes in another
 * root give the same digest), the mtime of the archive. 0; a source file that is gone or
 * unreadable fails with its negative errno; -ENOMEM. */
int cpio_segment_digest(const struct cpio *c, unsigned segment, uint8_t ret[32]);

/* Where the archive goes: called with consecutive pieces; a negative return stops. */
typedef int (*cpio_sink_t)(const void *buf, size_t len, void *userdata);

/* Writes the archive; *ret_size (may be NULL) gets its length in bytes. A source file that
 * became unreadable fails with its negative errno, and cpio_write_error() then says which. */
int cpio_write(struct cpio *c, cpio_sink_t sink, void *userdata, uint64_t *ret_size);
int cpio_write_fd(struct cpio *c, int fd, uint64_t *ret_size);
/* Writes one segment as a whole archive (see cpio_set_segment()). */
int cpio_write_segment(struct cpio *c, unsigned segment, cpio_sink_t sink, void *userdata,
                       uint64_t *ret_size);
int cpio_write_segment_mem(struct cpio *c, unsigned segment, void **ret, size_t *ret_len);
/* *ret gets a malloc()ed buffer. */
int cpio_write_mem(struct cpio *c, void **ret, size_t *ret_len);
/* After a cpio_write*() that failed on a source file, what happened to which file, for the
 * caller's message ("cannot open /usr/lib/x.so", "/etc/y shrank while it was being read");
 * "" when the last write succeeded or failed for another reason (the sink, memory). Valid
 * until the next write or cpio_free(). */
const char *cpio_write_error(const struct cpio *c);
