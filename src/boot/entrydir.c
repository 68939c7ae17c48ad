/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entrydir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int entry_dir_load(const char *dir, struct entry_dir *ret) {
        struct entry_dir out = {};
        DIR *d = opendir(dir);
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                struct entry_dir_item it = {};
                if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof it.file ||
                    entry_name_parse(de->d_name, ".conf", &it.name) < 0)
                        continue;
                snprintf(it.file, sizeof it.file, "%s", de->d_name);
                options_root_of(dirfd(d), de->d_name, it.options_root, sizeof it.options_root);
                struct entry_dir_item *v = realloc(out.items, (out.n + 1) * sizeof *v);
                if (!v) {
                        closedir(d);
                        entry_dir_free(&out);
                        return -ENOMEM;
                }
                out.items = v;
                out.items[out.n++] = it;
        }
        closedir(d);
        *ret = out;
        return 0;
}

void entry_dir_free(struct entry_dir *d) {
        free(d->items);
        *d = (struct entry_dir) {};
}

int entry_dir_root(const struct entry_dir *d, const char *root, char *ret_file, size_t size,
                   struct entry_name *ret_name) {
        const struct entry_dir_item *best = NULL;
        for (size_t i = 0; i < d->n; i++) {
                const struct entry_dir_item *it = &d->items[i];
                if (best && (best->name.has_counter || !it->name.has_counter))
                        continue;
                if (entry_is_of_root(&it->name, it->options_root, root) && strlen(it->file) < size)
                        best = it;
        }
        if (!best)
                return -ENOENT;
        snprintf(ret_file, size, "%s", best->file);
        *ret_name = best->name;
        return 0;
}

int entry_dir_find_root(const char *dir, const char *root, char *ret_file, size_t size,
                        struct entry_name *ret_name) {
        struct entry_dir d;
        int r = entry_dir_load(dir, &d);
        if (r < 0)
                return r;
        r = entry_dir_root(&d, root, ret_file, size, ret_name);
        entry_dir_free(&d);
        return r;
}
