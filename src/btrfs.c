/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to libbtrfsutil. */
#include "btrfs.h"

#include <btrfsutil.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util.h"

static int btrfs_errno(enum btrfs_util_error e) {
        switch (e) {
        case BTRFS_UTIL_OK:
                return 0;
        case BTRFS_UTIL_ERROR_NOT_BTRFS:
        case BTRFS_UTIL_ERROR_NOT_SUBVOLUME:
                return -EINVAL;
        case BTRFS_UTIL_ERROR_NO_MEMORY:
                return -ENOMEM;
        default:
                return errno ? -errno : -EIO;
        }
}

int btrfs_subvol_check(const char *top, const char *name, bool *ret_ro) {
        char path[PATH_MAX];
        struct stat st;
        if (strchr(name, '/') || streq(name, "..") || streq(name, "."))
                return -EINVAL;
        snprintf(path, sizeof path, "%s/%s", top, name);
        if (stat(path, &st) < 0)
                return -errno;
        enum btrfs_util_error e = btrfs_util_is_subvolume(path);
        if (e != BTRFS_UTIL_OK)
                return btrfs_errno(e);
        bool ro = false;
        e = btrfs_util_get_subvolume_read_only(path, &ro);
        if (e != BTRFS_UTIL_OK)
                return btrfs_errno(e);
        *ret_ro = ro;
        return 0;
}

int btrfs_subvol_list_names(const char *top, const char *prefix, char *ret, size_t size) {
        struct btrfs_util_subvolume_iterator *it;
        enum btrfs_util_error e = btrfs_util_create_subvolume_iterator(top, 5, 0, &it);
        if (e != BTRFS_UTIL_OK)
                return btrfs_errno(e);
        size_t used = 0;
        ret[0] = 0;
        char *path;
        uint64_t id;
        while (btrfs_util_subvolume_iterator_next(it, &path, &id) == BTRFS_UTIL_OK) {
                if (!strchr(path, '/') && startswith(path, prefix) && used + strlen(path) + 2 < size)
                        used += (size_t)snprintf(ret + used, size - used, "%s%s", used ? " " : "",
                                                 path);
                free(path);
        }
        btrfs_util_destroy_subvolume_iterator(it);
        return 0;
}
