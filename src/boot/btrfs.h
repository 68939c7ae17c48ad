/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Root snapshots are subvolumes directly under the Btrfs top level (subvolid 5). */

/* 0 when top/name is a subvolume; *ret_ro tells whether it is read-only.
 * -ENOENT when it does not exist, -ENOTDIR/-EINVAL when it is not a subvolume. */
int btrfs_subvol_check(const char *top, const char *name, bool *ret_ro);
/* Space-separated names of the top-level subvolumes whose name starts with prefix
 * ("@root-"), for messages that say what exists. */
int btrfs_subvol_list_names(const char *top, const char *prefix, char *ret, size_t size);

struct btrfs_root_info {
        char name[256]; /* "@root-current" */
        bool read_only;
        uint64_t id; /* subvolume id */
        uint64_t otransid; /* transaction that created it: newer roots have larger values */
        int64_t otime; /* creation time, unix seconds */
        char uuid[37]; /* the subvolume's UUID, stable across renames */
};

/* The subvolumes directly under the top level whose name starts with prefix, sorted newest
 * first (by otransid). *ret is malloc'd. */
int btrfs_list_roots(const char *top, const char *prefix, struct btrfs_root_info **ret, size_t *ret_n);

/* The operations of koompi-boot's transactions on root snapshots; name is a top-level
 * subvolume name without '/'. Each returns 0 or a negative errno (-EEXIST when the new name
 * exists, -ENOENT when the subvolume does not). */

/* Snapshots top/source as top/name; read_only makes it read-only in the same step. */
int btrfs_root_snapshot(const char *top, const char *source, const char *name, bool read_only);
int btrfs_root_set_read_only(const char *top, const char *name, bool read_only);
/* Deletes top/name and the subvolumes beneath it. */
int btrfs_root_delete(const char *top, const char *name);
/* What btrfs_list_roots() gives for one subvolume. */
int btrfs_root_get_info(const char *top, const char *name, struct btrfs_root_info *ret);
/* Commits the filesystem's transaction: what was done above survives a power cut. */
int btrfs_fs_sync(const char *top);
