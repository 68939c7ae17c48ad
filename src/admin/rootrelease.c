/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootrelease.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

bool root_release_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n >= ROOT_RELEASE_MAX || s[0] == '.')
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+:~-") == n;
}

int root_release_read(const char *rootdir, char *buf, size_t size) {
        char path[PATH_MAX], line[ROOT_RELEASE_MAX + 2];
        if ((size_t)snprintf(path, sizeof path, "%s/" ROOT_RELEASE_FILE, rootdir) >= sizeof path)
                return -ENAMETOOLONG;
        int r = read_line_file(path, line, sizeof line);
        if (r < 0)
                return r;
        if (!root_release_valid(line) || strlen(line) >= size)
                return -EBADMSG;
        snprintf(buf, size, "%s", line);
        return 0;
}

int root_release_write(const char *rootdir, const char *version) {
        char dir[PATH_MAX], path[PATH_MAX], line[ROOT_RELEASE_MAX + 1];
        struct stat st;
        if (version && !root_release_valid(version))
                return -EINVAL;
        if ((size_t)snprintf(dir, sizeof dir, "%s/etc/koompi", rootdir) >= sizeof dir ||
            (size_t)snprintf(path, sizeof path, "%s/" ROOT_RELEASE_FILE, rootdir) >= sizeof path)
                return -ENAMETOOLONG;
        /* The root's own files decide nothing outside it: a link in their place is refused. */
        if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (!version)
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        int n = snprintf(line, sizeof line, "%s\n", version);
        return write_file_atomic(path, line, (size_t)n, 0644);
}
