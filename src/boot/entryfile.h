/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Boot loader entry files on the ESP (loader/entries): the one way they are renamed, by
 * koompi-init (tries given back, a spent entry marked bad) and by koompi-boot (mark-good,
 * mark-bad, rollback). The names come from entry.h (entry_name_format). */

/* Renames the entry file `from` in dirfd to `to`, never over another file (rename_noreplace of
 * util.h), then makes the rename durable (fsync_dir): systemd-boot must find the file under
 * one of the two names after a power cut, and the new one once this returns 0.
 * 0, also when from equals to (nothing done); -EINVAL when either name is empty, starts with
 * '.' or holds a '/'; -EEXIST when `to` exists (nothing changed); -ENOENT when `from` does
 * not; the negative errno of the rename (nothing changed) or of syncing the directory (the
 * file has its new name, which may not be on the disk yet). */
int entry_file_rename(int dirfd, const char *from, const char *to);
