/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "handentry.h"

#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "layout.h"
#include "util.h"

static bool named_by_hand(const char *name) {
        struct entry_name e;
        return name && entry_name_parse(name, ".conf", &e) == 0 && !entry_name_koompi_id(&e);
}

bool hand_entry_is_of_root(const char *name, const char *text, const char *root) {
        char buf[ENTRY_NAME_MAX + 1];
        struct entry_content c = {};
        bool of_root;

        if (!text || !root || !named_by_hand(name) || entry_content_parse(text, &c) < 0)
                return false;
        of_root = c.options && entry_options_root(c.options, buf, sizeof buf) == 0 && streq(buf, root);
        entry_content_free(&c);
        return of_root;
}

/* Whether path ("/koompi/<id>/vmlinuz", "\koompi\<id>\...": the ESP is FAT, case and either
 * slash alike) is in the directory id. */
static bool in_kernel_dir(const char *path, const char *id) {
        char dir[64];
        size_t n = (size_t)snprintf(dir, sizeof dir, "%s/%s/", LAYOUT_KERNELS_DIR, id);
        while (path && (*path == '/' || *path == '\\'))
                path++;
        if (!path || n >= sizeof dir || strlen(path) < n)
                return false;
        for (size_t i = 0; i < n; i++) {
                char a = path[i] == '\\' ? '/' : path[i];
                if (a != dir[i] && !(a >= 'A' && a <= 'Z' && a - 'A' + 'a' == dir[i]))
                        return false;
        }
        return true;
}

bool hand_entry_uses_kernel(const char *name, const char *text, const char *id) {
        struct entry_content c = {};
        bool uses;

        if (!text || !id || !named_by_hand(name) || entry_content_parse(text, &c) < 0)
                return false;
        uses = in_kernel_dir(c.kernel, id) || in_kernel_dir(c.initrd, id);
        for (char **x = c.extra; !uses && x && *x; x++) {
                const char *v = startswith(*x, "initrd");
                uses = v && (*v == ' ' || *v == '\t') && in_kernel_dir(v + strspn(v, " \t"), id);
        }
        entry_content_free(&c);
        return uses;
}
