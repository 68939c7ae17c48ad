/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootpacman.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
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

char *root_pacman_command(const char *args) {
        char *s;
        /* pacman wants the folder there. A root made before the database moved into the root
         * brings it along once, with the repositories' databases an -S without -y reads; a
         * root without one starts an empty database there. */
        if (asprintf(&s,
                     "mkdir -p /%1$s && if [ ! -d /%1$s/local ] && [ -d /%2$s/local ]; then "
                     "cp -a /%2$s/local /%1$s/ && if [ -d /%2$s/sync ]; then cp -a /%2$s/sync /%1$s/; fi; "
                     "fi && pacman --dbpath /%1$s/ %3$s",
                     ROOT_PACMAN_DBPATH, ROOT_PACMAN_DBPATH_OLD, args) < 0)
                abort();
        return s;
}
