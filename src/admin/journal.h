/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

/* What every transaction on the roots shares, below the verbs: the record of the transaction
 * in progress and the pinned roots (two files beside the ledger, in its directory DIR), the
 * lock that keeps two of them apart, and the test-only fault points. Never prints. */

#define JOURNAL_FILE "transaction"
#define PINS_FILE "pinned"

/* The record of a transaction in progress: what the next run finishes or undoes. */
struct journal {
        char op[16]; /* "update", "snapshot", "delete" or "rollback" */
        char step[16]; /* update: "started", then "sealed" once the root is read-only;
                                 * snapshot: always "sealed" (made read-only in one step) */
        char root[256]; /* update, snapshot: the new root; rollback: its target */
        char from[256]; /* update: the root it was made from */
        char **roots; /* delete: the roots being deleted, NULL-terminated */
        /* What the transaction was given for roots that carry no kernel (--kernel, --initrd,
         * --options), "" when nothing: the run that finishes it after a crash needs the same. */
        char kernel[1024], initrd[1024], options[2048];
};

/* 0, -ENOENT when there is none, -EBADMSG when it cannot be understood, or another negative
 * errno when it cannot be read. *ret is written only on success; journal_free() it. */
int journal_read(const char *dir, struct journal *ret);
void journal_free(struct journal *j);
/* Replaces the record atomically (DIR created when missing). 0, -EINVAL when a field holds a
 * newline, or a negative errno. */
int journal_write(const char *dir, const struct journal *j);
/* Removes the record, the directory synced. 0 (also when there was none) or a negative errno. */
int journal_remove(const char *dir);

/* The UUIDs of the pinned roots, NULL-terminated, empty when there is no pins file; strv_free()
 * it. 0, -EFBIG when the file is too large to be ours, or a negative errno; *ret written only
 * on success. */
int pins_read(const char *dir, char ***ret);
/* Replaces the pins: uuids[i] with names[i] beside it, for people (both NULL-terminated, names
 * may be shorter: "?"). 0 or a negative errno. */
int pins_write(const char *dir, char *const *uuids, char *const *names);

/* Takes the lock of the roots: the top level directory itself, the same inode in every mount of
 * it, flock()ed without waiting. *ret_fd holds it until closed. 0, -EBUSY when another process
 * holds it, or a negative errno. */
int roots_lock(const char *top, int *ret_fd);

/* A test-only crash: the process _exit()s with FAULT_POINT_EXIT at the point named by
 * $KOOMPI_FAULT_POINT. With $KOOMPI_FAULT_ACTION=power-cut the machine is reset there instead
 * (sysrq b: no sync, no unmount), or $KOOMPI_FAULT_DELAY_MS later while the work goes on (the
 * VM power-cut tests). Read by koompi-boot only, never by koompi-init. */
#define FAULT_POINT_ENV "KOOMPI_FAULT_POINT"
#define FAULT_ACTION_ENV "KOOMPI_FAULT_ACTION"
#define FAULT_DELAY_ENV "KOOMPI_FAULT_DELAY_MS"
#define FAULT_POINT_EXIT 99
void fault_point(const char *name);
