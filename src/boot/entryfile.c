/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entryfile.h"

#include <errno.h>

#include "util.h"

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
        if (r < 0)
                return r;
        return fsync_dir(dirfd);
}
