/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Crash-safe writes on the EFI system partition (FAT), where a power cut at any moment must
 * leave either the old or the new file, never a torn one:
 *   - files are written to a temporary name, fsync'd, then renamed into place, then the
 *     directory is fsync'd (fsync_dir() of util.h: where FAT refuses fsync on a directory, a
 *     syncfs of the whole filesystem);
 *   - renames that must not replace use rename_noreplace() of entryfile.h:
 *     renameat2(RENAME_NOREPLACE), or where the kernel or the filesystem refuses the flag, a
 *     check that the target is absent, then a plain rename.
 * Temporary names start with '.' and end in ".tmp", so systemd-boot (which reads "*.conf")
 * never sees them; esp_remove_temporaries() clears what a crash left. */

#define ESP_TMP_SUFFIX ".tmp"

/* The mounted ESP: the first of /efi, /boot, /boot/efi that holds loader/. -ENOENT if none. */
int esp_find(char *ret, size_t size);

/* Whether files can be written on the ESP mounted at path: 0 when they can, -EROFS when it is
 * mounted read-only (the kernel remounts a FAT read-only, errors=remount-ro, when it finds an
 * error in it), or the negative errno of statvfs() (-ENOENT when path is missing). */
int esp_check_writable(const char *path);

/* Writes name in dirfd through a temporary file. noreplace: fail with -EEXIST when name
 * exists, else replace it. */
int esp_write_file(int dirfd, const char *name, const void *data, size_t len, bool noreplace);
/* Copies the file at src to name in dirfd (created, never replacing), fsync'd. */
int esp_copy_file(const char *src, int dirfd, const char *name);
/* Puts the file at src into dirfd as name through a temporary name (esp_copy_file(), then a
 * rename): when noreplace never over an existing name (-EEXIST, nothing changed), else
 * replacing it; then the directory synced. 0 or a negative errno (nothing left behind). */
int esp_install_file(const char *src, int dirfd, const char *name, bool noreplace);
/* Removes dirfd/name and the files in it (one level). Missing is not an error. */
int esp_remove_tree(int dirfd, const char *name);
/* Removes the entries of dirfd named ".*.tmp" (files or directories of one level). Returns
 * how many. */
int esp_remove_temporaries(int dirfd);
/* Bytes an unprivileged writer can still use, and the block size files are rounded up to. */
int esp_free_space(int dirfd, uint64_t *ret_free, uint64_t *ret_block);
/* size rounded up to whole blocks. */
uint64_t esp_blocks_bytes(uint64_t size, uint64_t block);
