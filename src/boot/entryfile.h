/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Renames on the ESP (FAT), by koompi-init and koompi-boot; the boot loader entry files
 * (loader/entries) are renamed one way, by entry_file_rename(): by koompi-init (tries given
 * back, a spent entry marked bad) and by koompi-boot (mark-good, mark-bad, rollback). The
 * names come from entry.h (entry_name_format). */

/* renameat2(RENAME_NOREPLACE); where the kernel or the filesystem does not know the flag, a
 * check that `to` is absent, then a plain rename (on the ESP only koompi-boot, koompi-init and
 * the boot loader rename files, never at the same time). 0, -EEXIST when `to` exists (nothing
 * changed), or another negative errno. */
int rename_noreplace(int fromdirfd, const char *from, int todirfd, const char *to);

/* Renames the entry file `from` in dirfd to `to`, never over another file (rename_noreplace),
 * then makes the rename durable (fsync_dir of util.h): systemd-boot must find the file under
 * one of the two names after a power cut, and the new one once this returns 0.
 * 0, also when from equals to (nothing done); -EINVAL when either name is empty, starts with
 * '.' or holds a '/'; -EEXIST when `to` exists (nothing changed); -ENOENT when `from` does
 * not; the negative errno of the rename (nothing changed) or of syncing the directory (the
 * file has its new name, which may not be on the disk yet). */
int entry_file_rename(int dirfd, const char *from, const char *to);
