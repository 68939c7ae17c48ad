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
        char name[256];      /* "@root-current" */
        bool read_only;
        uint64_t id;         /* subvolume id */
        uint64_t otransid;   /* transaction that created it: newer roots have larger values */
        int64_t otime;       /* creation time, unix seconds */
        char uuid[37];       /* the subvolume's UUID, stable across renames */
};

/* The subvolumes directly under the top level whose name starts with prefix, sorted newest
 * first (by otransid). *ret is malloc'd. */
int btrfs_list_roots(const char *top, const char *prefix, struct btrfs_root_info **ret,
                     size_t *ret_n);
