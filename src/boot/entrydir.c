/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entrydir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util.h"

#define ENTRY_FILE_MAX (64 * 1024)

/* The root the options of dir/file name, "" when none or unreadable. */
static void options_root_of(int dfd, const char *file, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        _cleanup_free_ char *text = NULL;
        struct entry_content c = {};
        struct stat st;
        ssize_t n;

        buf[0] = 0;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > ENTRY_FILE_MAX)
                return;
        text = malloc((size_t)st.st_size + 1);
        if (!text || (n = read(fd, text, (size_t)st.st_size)) < 0)
                return;
        text[n] = 0;
        if (entry_content_parse(text, &c) == 0 && c.options && entry_options_root(c.options, buf, size) < 0)
                buf[0] = 0;
        entry_content_free(&c);
}

int entry_dir_find_root(const char *dir, const char *root, char *ret_file, size_t size,
                        struct entry_name *ret_name) {
        char options_root[256];
        struct entry_name best = {};
        int r = -ENOENT;
        DIR *d = opendir(dir);
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                struct entry_name e;
                if (de->d_name[0] == '.' || entry_name_parse(de->d_name, ".conf", &e) < 0)
                        continue;
                if (r == 0 && (best.has_counter || !e.has_counter))
                        continue;
                options_root_of(dirfd(d), de->d_name, options_root, sizeof options_root);
                if (!entry_is_of_root(&e, options_root, root) || strlen(de->d_name) >= size)
                        continue;
                snprintf(ret_file, size, "%s", de->d_name);
                best = e;
                r = 0;
        }
        closedir(d);
        if (r == 0)
                *ret_name = best;
        return r;
}
