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
                        used += (size_t)snprintf(ret + used, size - used, "%s%s", used ? " " : "", path);
                free(path);
        }
        btrfs_util_destroy_subvolume_iterator(it);
        return 0;
}

static void uuid_unparse(const uint8_t u[16], char out[37]) {
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static int by_otransid_desc(const void *a, const void *b) {
        const struct btrfs_root_info *x = a, *y = b;
        if (x->otransid != y->otransid)
                return x->otransid > y->otransid ? -1 : 1;
        return strcmp(y->name, x->name);
}

int btrfs_list_roots(const char *top, const char *prefix, struct btrfs_root_info **ret, size_t *ret_n) {
        struct btrfs_util_subvolume_iterator *it;
        enum btrfs_util_error e = btrfs_util_create_subvolume_iterator(top, 5, 0, &it);
        if (e != BTRFS_UTIL_OK)
                return btrfs_errno(e);
        struct btrfs_root_info *v = NULL;
        size_t n = 0, cap = 0;
        char *path;
        struct btrfs_util_subvolume_info info;
        int r = 0;
        while ((e = btrfs_util_subvolume_iterator_next_info(it, &path, &info)) == BTRFS_UTIL_OK) {
                if (strchr(path, '/') || !startswith(path, prefix) || strlen(path) >= 256) {
                        free(path);
                        continue;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        struct btrfs_root_info *nv = realloc(v, cap * sizeof *v);
                        if (!nv) {
                                free(path);
                                r = -ENOMEM;
                                break;
                        }
                        v = nv;
                }
                struct btrfs_root_info *ri = &v[n++];
                *ri = (struct btrfs_root_info) { 0 };
                snprintf(ri->name, sizeof ri->name, "%s", path);
                ri->read_only = (info.flags & 1ULL) != 0; /* BTRFS_ROOT_SUBVOL_RDONLY */
                ri->id = info.id;
                ri->otransid = info.otransid;
                ri->otime = info.otime.tv_sec;
                uuid_unparse(info.uuid, ri->uuid);
                free(path);
        }
        btrfs_util_destroy_subvolume_iterator(it);
        if (r < 0) {
                free(v);
                return r;
        }
        if (n > 1)
                qsort(v, n, sizeof *v, by_otransid_desc);
        *ret = v;
        *ret_n = n;
        return 0;
}

static int root_path(const char *top, const char *name, char *buf, size_t size) {
        if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;
        if ((size_t)snprintf(buf, size, "%s/%s", top, name) >= size)
                return -ENAMETOOLONG;
        return 0;
}

int btrfs_root_snapshot(const char *top, const char *source, const char *name, bool read_only) {
        char from[PATH_MAX], to[PATH_MAX];
        struct stat st;
        int r = root_path(top, source, from, sizeof from);
        if (r == 0)
                r = root_path(top, name, to, sizeof to);
        if (r < 0)
                return r;
        if (lstat(to, &st) == 0)
                return -EEXIST;
        errno = 0;
        enum btrfs_util_error e = btrfs_util_create_snapshot(
                from, to, read_only ? BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY : 0, NULL, NULL);
        return btrfs_errno(e);
}

int btrfs_root_set_read_only(const char *top, const char *name, bool read_only) {
        char path[PATH_MAX];
        int r = root_path(top, name, path, sizeof path);
        if (r < 0)
                return r;
        errno = 0;
        return btrfs_errno(btrfs_util_set_subvolume_read_only(path, read_only));
}

int btrfs_root_delete(const char *top, const char *name) {
        char path[PATH_MAX];
        struct stat st;
        int r = root_path(top, name, path, sizeof path);
        if (r < 0)
                return r;
        if (lstat(path, &st) < 0)
                return -errno;
        errno = 0;
        return btrfs_errno(btrfs_util_delete_subvolume(path, BTRFS_UTIL_DELETE_SUBVOLUME_RECURSIVE));
}

int btrfs_root_get_info(const char *top, const char *name, struct btrfs_root_info *ret) {
        char path[PATH_MAX];
        struct btrfs_util_subvolume_info info;
        int r = root_path(top, name, path, sizeof path);
        if (r < 0)
                return r;
        errno = 0;
        r = btrfs_errno(btrfs_util_is_subvolume(path));
        if (r < 0)
                return r;
        r = btrfs_errno(btrfs_util_subvolume_info(path, 0, &info));
        if (r < 0)
                return r;
        *ret = (struct btrfs_root_info) { 0 };
        snprintf(ret->name, sizeof ret->name, "%s", name);
        ret->read_only = (info.flags & 1ULL) != 0;
        ret->id = info.id;
        ret->otransid = info.otransid;
        ret->otime = info.otime.tv_sec;
        uuid_unparse(info.uuid, ret->uuid);
        return 0;
}

int btrfs_fs_sync(const char *top) {
        errno = 0;
        return btrfs_errno(btrfs_util_sync(top));
}
