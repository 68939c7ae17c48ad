/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "srcinfo.h"
#include "strv.h"
#include "util.h"

/* Whether key (len bytes) is name, or name_ARCH. */
static bool is_key(const char *key, size_t len, const char *name, const char *arch) {
        size_t n = strlen(name);
        if (len < n || strncmp(key, name, n) != 0)
                return false;
        if (len == n)
                return true;
        return key[n] == '_' && len - n - 1 == strlen(arch) && strncmp(key + n + 1, arch, len - n - 1) == 0;
}

/* One "key = value" line: its value when key is wanted, else NULL. */
static char *wanted_value(const char *line, size_t len, const char *arch) {
        const char *eq = memchr(line, '=', len);
        if (!eq || eq == line || eq[-1] != ' ' || (size_t)(eq - line) + 2 > len || eq[1] != ' ')
                return NULL;
        size_t start = strspn(line, " \t"), key_len = (size_t)(eq - 1 - line) - start;
        if (!is_key(line + start, key_len, "makedepends", arch) &&
            !is_key(line + start, key_len, "checkdepends", arch))
                return NULL;
        const char *v = eq + 2, *end = line + len;
        return v < end ? strndup(v, (size_t)(end - v)) : NULL;
}

char **srcinfo_build_deps(const char *text, const char *arch) {
        char **deps = NULL;
        for (const char *p = text; p && *p;) {
                size_t len = strcspn(p, "\n");
                char *v = wanted_value(p, len, arch);
                if (v && strv_contains(deps, v))
                        free(v);
                else if (v && strv_consume(&deps, v) < 0)
                        abort();
                p += len + (p[len] == '\n');
        }
        return deps;
}

void srcinfo_missing_text(char *const *deps, char *buf, size_t size) {
        size_t used = (size_t)snprintf(buf, size, "the build needs ");
        for (char *const *d = deps; d && *d && used < size; d++)
                used += (size_t)snprintf(buf + used, size - used, "%s%s", d == deps ? "" : ", ", *d);
        if (used < size)
                snprintf(buf + used, size - used,
                         ", which %s not installed: makepkg runs without installing what a PKGBUILD needs; "
                         "install %s first (koompi install, then restart) and build again",
                         strv_length(deps) > 1 ? "are" : "is", strv_length(deps) > 1 ? "them" : "it");
}
