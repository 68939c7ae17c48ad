/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entryfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util.h"

int rename_noreplace(int fromdirfd, const char *from, int todirfd, const char *to) {
        struct stat st;

        if (renameat2(fromdirfd, from, todirfd, to, RENAME_NOREPLACE) == 0)
                return 0;
        /* EINVAL: the filesystem does not know the flag (none since Linux 4.9); ENOSYS: an
         * older kernel. */
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return -errno;
        /* Check, then rename. On the ESP only koompi-boot, koompi-init and the boot loader
         * rename files, and never at the same time. */
        if (fstatat(todirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return -EEXIST;
        if (errno != ENOENT)
                return -errno;
        return renameat2(fromdirfd, from, todirfd, to, 0) < 0 ? -errno : 0;
}

/* A name in the directory itself, never a temporary (".x.tmp") nor a path elsewhere. */
static bool is_entry_file_name(const char *name) {
        return name[0] && name[0] != '.' && !strchr(name, '/');
}

int entry_file_rename(int dirfd, const char *from, const char *to) {
        if (!is_entry_file_name(from) || !is_entry_file_name(to))
                return -EINVAL;
        if (streq(from, to))
                return 0;
        int r = rename_noreplace(dirfd, from, dirfd, to);
        if (r == 0)
                r = fsync_renamed(dirfd, to);
        if (r < 0)
                return r;
        return fsync_dir(dirfd);
}
