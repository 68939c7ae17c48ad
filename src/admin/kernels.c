/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kernels.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* An empty vmlinuz is a package cut short, never a kernel to boot. */
static bool has_kernel(int dirfd, const char *kver) {
        char rel[NAME_MAX + sizeof "/vmlinuz"];
        struct stat st;
        if (snprintf(rel, sizeof rel, "%s/vmlinuz", kver) >= (int)sizeof rel)
                return false;
        return fstatat(dirfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

int kernel_find_newest(const char *rootdir, char *ret, size_t size) {
        char path[PATH_MAX], best[NAME_MAX + 1] = "";
        if (snprintf(path, sizeof path, "%s/usr/lib/modules", rootdir) >= (int)sizeof path)
                return -ENAMETOOLONG;
        DIR *d = opendir(path);
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.' || !has_kernel(dirfd(d), de->d_name))
                        continue;
                if (!best[0] || strverscmp(de->d_name, best) > 0)
                        snprintf(best, sizeof best, "%s", de->d_name);
        }
        closedir(d);
        if (!best[0])
                return -ENOENT;
        if (strlen(best) >= size)
                return -ENOBUFS;
        memcpy(ret, best, strlen(best) + 1);
        return 0;
}
