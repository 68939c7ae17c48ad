/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkglist.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>

#include "strv.h"
#include "util.h"

static int cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of text, one a line, without those of remove, with those of add, each once. */
static char **merge(const char *text, char *const *add, char *const *remove) {
        char **names = NULL;
        for (const char *p = text; p && *p;) {
                size_t len = strcspn(p, "\n");
                char *name = strndup(p, len);
                if (!name ||
                    (*name && !strv_contains(remove, name) && !strv_contains(names, name)
                             ? strv_consume(&names, name)
                             : (free(name), 0)) < 0)
                        abort();
                p += len + (p[len] == '\n');
        }
        for (char *const *a = add; a && *a; a++)
                if (!strv_contains(names, *a) && strv_extend(&names, *a) < 0)
                        abort();
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp);
        return names;
}

int pkglist_update(const char *path, char *const *add, char *const *remove) {
        _cleanup_free_ char *text = NULL, *out = NULL;
        char dir[PATH_MAX];
        size_t len = 0;
        int r = read_file(path, &text, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        snprintf(dir, sizeof dir, "%s", path);
        r = mkdir_p(dirname(dir), 0755);
        if (r < 0)
                return r;
        char **names = merge(text, add, remove);
        FILE *f = open_memstream(&out, &len);
        if (!f)
                abort();
        for (char **n = names; n && *n; n++)
                fprintf(f, "%s\n", *n);
        fclose(f);
        strv_free(names);
        return write_file_atomic(path, out, len, 0644);
}
