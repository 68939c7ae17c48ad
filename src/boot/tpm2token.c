/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small reader of one flat JSON object: enough for a LUKS2 token, nothing more. */
#include "tpm2token.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define KEY_MAX 64
#define VALUE_MAX 32

static const char *skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

/* A string at p (after its opening quote): its first size-1 bytes into buf (may be NULL), the
 * position after the closing quote, or NULL when it does not end. */
static const char *read_string(const char *p, char *buf, size_t size) {
        size_t n = 0;
        for (; *p && *p != '"'; p++) {
                if (*p == '\\' && !*++p)
                        return NULL;
                if (buf && n + 1 < size)
                        buf[n++] = *p;
        }
        if (buf && size)
                buf[n] = 0;
        return *p ? p + 1 : NULL;
}

/* Skips any value: a string, an array or object (nesting counted, strings inside skipped), or
 * a bare word (number, true, false, null). NULL when it does not end. */
static const char *skip_value(const char *p) {
        int depth = 0;
        do {
                p = skip_ws(p);
                if (*p == '"')
                        p = read_string(p + 1, NULL, 0);
                else if (*p == '[' || *p == '{')
                        depth++, p++;
                else if (*p == ']' || *p == '}')
                        depth--, p++;
                else if (*p == ',' || *p == ':')
                        p++;
                else if (*p)
                        p += strcspn(p, ",]} \t\r\n");
                else
                        return NULL;
        } while (p && depth > 0);
        return p;
}

/* "keyslots": ["1"] (the first), "tpm2-pcrs": [7, 11] (a mask). */
static int read_array(const char *p, bool strings, struct tpm2_token *t) {
        p = skip_ws(p);
        if (*p++ != '[')
                return -EBADMSG;
        for (p = skip_ws(p); *p && *p != ']'; p = skip_ws(p)) {
                char item[VALUE_MAX];
                if (strings && (*p != '"' || !(p = read_string(p + 1, item, sizeof item))))
                        return -EBADMSG;
                if (!strings) {
                        size_t n = strspn(p, "0123456789");
                        if (n == 0 || n >= sizeof item)
                                return -EBADMSG;
                        memcpy(item, p, n);
                        item[n] = 0;
                        p += n;
                }
                long v = strtol(item, NULL, 10);
                if (strings && t->keyslot < 0 && v >= 0 && v < 1024)
                        t->keyslot = (int)v;
                else if (!strings && v < 32)
                        t->pcr_mask |= 1u << v;
                p = skip_ws(p);
                if (*p == ',')
                        p++;
        }
        return *p == ']' ? 0 : -EBADMSG;
}

/* One member of the object: what it means for the token. 1 when it is the type systemd-tpm2,
 * -ENOENT when it is another type, 0 for other members, -EBADMSG. */
static int read_member(const char *key, const char *value, struct tpm2_token *t, bool *typed) {
        char v[VALUE_MAX];
        if (streq(key, "type")) {
                *typed = true;
                if (*value != '"' || !read_string(value + 1, v, sizeof v))
                        return -EBADMSG;
                return streq(v, "systemd-tpm2") ? 1 : -ENOENT;
        }
        if (streq(key, "keyslots"))
                return read_array(value, true, t);
        if (streq(key, "tpm2-pcrs"))
                return read_array(value, false, t);
        if (streq(key, "tpm2-pin")) {
                if (!startswith(value, "true") && !startswith(value, "false"))
                        return -EBADMSG;
                t->pin = startswith(value, "true");
        }
        return 0;
}

int tpm2_token_parse(const char *json, struct tpm2_token *ret) {
        struct tpm2_token t = { .keyslot = -1 };
        bool typed = false;
        const char *p = json ? skip_ws(json) : "";

        if (*p++ != '{')
                return -EBADMSG;
        for (p = skip_ws(p); *p != '}'; p = skip_ws(p)) {
                char key[KEY_MAX];
                if (*p != '"' || !(p = read_string(p + 1, key, sizeof key)))
                        return -EBADMSG;
                p = skip_ws(p);
                if (*p++ != ':')
                        return -EBADMSG;
                p = skip_ws(p);
                int r = read_member(key, p, &t, &typed);
                if (r < 0)
                        return r;
                p = skip_value(p);
                if (!p)
                        return -EBADMSG;
                p = skip_ws(p);
                if (*p == ',')
                        p++;
                else if (*p != '}')
                        return -EBADMSG;
        }
        if (!typed)
                return -EBADMSG;
        *ret = t;
        return 0;
}
