/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strv.h"

#include <errno.h>
#include <stdio.h>

#include "util.h"

unsigned strv_length(char *const *v) {
        unsigned n = 0;
        while (v && v[n])
                n++;
        return n;
}

bool strv_contains(char *const *v, const char *s) {
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

int strv_consume(char ***v, char *s) {
        unsigned n = strv_length(*v);
        char **nv = realloc(*v, (n + 2) * sizeof *nv);
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[n] = s;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

int strv_extend(char ***v, const char *s) {
        char *copy = strdup(s);
        return copy ? strv_consume(v, copy) : -ENOMEM;
}

char **strv_split(const char *s) {
        unsigned n = 0, cap = 8;
        char **v = xmalloc(sizeof(char *) * cap);
        const char *p = s ? s : "";
        for (;;) {
                p += strspn(p, " \t,");
                if (!*p)
                        break;
                size_t len = strcspn(p, " \t,");
                if (n + 2 > cap) {
                        cap *= 2;
                        char **nv = realloc(v, sizeof(char *) * cap);
                        if (!nv)
                                abort();
                        v = nv;
                }
                v[n] = strndup(p, len);
                if (!v[n++])
                        abort();
                p += len;
        }
        v[n] = NULL;
        return v;
}
