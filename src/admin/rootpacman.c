/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootpacman.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int root_pacman_dbpath(const char *rootdir, char *buf, size_t size) {
        char local[PATH_MAX];
        const char *sep = rootdir[0] && rootdir[strlen(rootdir) - 1] == '/' ? "" : "/";
        if (snprintf(local, sizeof local, "%s%s%s/local", rootdir, sep, ROOT_PACMAN_DBPATH) >=
            (int)sizeof local)
                return -ENAMETOOLONG;
        const char *db = access(local, F_OK) == 0 ? ROOT_PACMAN_DBPATH : ROOT_PACMAN_DBPATH_OLD;
        if (snprintf(NULL, 0, "%s%s%s", rootdir, sep, db) >= (int)size)
                return -ENAMETOOLONG;
        snprintf(buf, size, "%s%s%s", rootdir, sep, db);
        return 0;
}
