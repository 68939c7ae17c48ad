/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "desktop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* The value of "key=value" when line is that key (blanks around '=' allowed), else NULL. */
static const char *value_of(const char *line, size_t len, const char *key, size_t *ret_len) {
        size_t klen = strlen(key);
        if (len <= klen || strncmp(line, key, klen) != 0)
                return NULL;
        const char *p = line + klen, *end = line + len;
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p >= end || *p != '=')
                return NULL;
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        *ret_len = (size_t)(end - p);
        return p;
}

char *desktop_get(const char *text, const char *key) {
        bool in_entry = false;
        for (const char *p = text; p && *p;) {
                size_t len = strcspn(p, "\n"), vlen;
                const char *v;
                if (*p == '[')
                        in_entry = len >= 15 && strncmp(p, "[Desktop Entry]", 15) == 0;
                else if (in_entry && (v = value_of(p, len, key, &vlen)))
                        return strndup(v, vlen);
                p += len + (p[len] == '\n');
        }
        return NULL;
}

/* Exec's value with its program (the first word, maybe quoted) replaced by exec. */
static void write_exec(FILE *f, const char *v, size_t vlen, const char *exec) {
        size_t skip = 0;
        if (vlen > 0 && v[0] == '"') {
                const char *q = memchr(v + 1, '"', vlen - 1);
                skip = q ? (size_t)(q - v) + 1 : vlen;
        } else
                while (skip < vlen && v[skip] != ' ' && v[skip] != '\t')
                        skip++;
        fprintf(f, "Exec=%s%.*s\n", exec, (int)(vlen - skip), v + skip);
}

int desktop_rewrite(const char *text, const char *exec, const char *icon, char **ret) {
        _cleanup_free_ char *had = desktop_get(text, "Exec");
        char *out = NULL;
        size_t out_len = 0;
        if (!had || strlen(text) > DESKTOP_MAX)
                return -EBADMSG;
        FILE *f = open_memstream(&out, &out_len);
        if (!f)
                abort();
        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n"), vlen;
                const char *v;
                if ((v = value_of(p, len, "Exec", &vlen)))
                        write_exec(f, v, vlen, exec);
                else if (value_of(p, len, "TryExec", &vlen))
                        fprintf(f, "TryExec=%s\n", exec);
                else if (icon && value_of(p, len, "Icon", &vlen))
                        fprintf(f, "Icon=%s\n", icon);
                else
                        fprintf(f, "%.*s\n", (int)len, p);
                p += len + (p[len] == '\n');
        }
        fclose(f);
        *ret = out;
        return 0;
}
