/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /run/koompi/boot.json: a flat JSON object written by koompi-init. Read with a small scanner
 * that knows strings, numbers, literals and skips nested values whole. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bootstate.h"
#include "util.h"

static const char *skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

/* Decodes the string at p (at its opening quote) into out (may be NULL); returns the byte after
 * the closing quote, or NULL. \u escapes outside ASCII become '?'. */
static const char *scan_string(const char *p, char *out, size_t size) {
        size_t n = 0;
        if (*p != '"')
                return NULL;
        for (p++; *p && *p != '"'; p++) {
                char ch = *p;
                if (ch == '\\') {
                        p++;
                        switch (*p) {
                        case 'n':
                                ch = '\n';
                                break;
                        case 't':
                                ch = '\t';
                                break;
                        case 'r':
                                ch = '\r';
                                break;
                        case 'b':
                                ch = '\b';
                                break;
                        case 'f':
                                ch = '\f';
                                break;
                        case 'u': {
                                unsigned v = 0;
                                for (int i = 1; i <= 4; i++) {
                                        char h = p[i];
                                        if (!h)
                                                return NULL;
                                        v = v * 16 +
                                                (unsigned)(h >= 'a'           ? h - 'a' + 10
                                                                   : h >= 'A' ? h - 'A' + 10
                                                                              : h - '0');
                                }
                                p += 4;
                                ch = v > 0 && v < 0x80 ? (char)v : '?';
                                break;
                        }
                        case 0:
                                return NULL;
                        default:
                                ch = *p;
                        }
                }
                if (out && n + 1 < size)
                        out[n++] = ch;
        }
        if (out && size)
                out[n] = 0;
        return *p == '"' ? p + 1 : NULL;
}

/* Skips one value; returns the byte after it, or NULL. */
static const char *skip_value(const char *p, int depth) {
        p = skip_ws(p);
        if (depth > 32)
                return NULL;
        if (*p == '"')
                return scan_string(p, NULL, 0);
        if (*p == '[' || *p == '{') {
                char close = *p == '[' ? ']' : '}';
                p = skip_ws(p + 1);
                if (*p == close)
                        return p + 1;
                for (;;) {
                        if (close == '}') {
                                p = scan_string(skip_ws(p), NULL, 0);
                                if (!p)
                                        return NULL;
                                p = skip_ws(p);
                                if (*p++ != ':')
                                        return NULL;
                        }
                        p = skip_value(p, depth + 1);
                        if (!p)
                                return NULL;
                        p = skip_ws(p);
                        if (*p == ',') {
                                p++;
                                continue;
                        }
                        return *p == close ? p + 1 : NULL;
                }
        }
        const char *s = p;
        while (*p &&
               (*p == '-' || *p == '+' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                (*p >= 'A' && *p <= 'Z')))
                p++;
        return p > s ? p : NULL;
}

void boot_state_free(struct boot_state *s) {
        free(s->timeline);
        s->timeline = NULL;
}

static void set_string(const char *v, char *out, size_t size) {
        if (*v == '"')
                scan_string(v, out, size);
}

static bool is_true(const char *v) {
        return strncmp(v, "true", 4) == 0;
}

static uint64_t to_u64(const char *v) {
        return *v >= '0' && *v <= '9' ? strtoull(v, NULL, 10) : 0;
}

/* One "key": value of boot.json into s; v is the value's text, end where it ends. */
static int boot_state_field(struct boot_state *s, const char *key, const char *v, const char *end) {
        if (streq(key, "snapshot"))
                set_string(v, s->snapshot, sizeof s->snapshot);
        else if (streq(key, "entry"))
                set_string(v, s->entry, sizeof s->entry);
        else if (streq(key, "luks_device"))
                set_string(v, s->luks_device, sizeof s->luks_device);
        else if (streq(key, "root_device"))
                set_string(v, s->root_device, sizeof s->root_device);
        else if (streq(key, "init"))
                set_string(v, s->init, sizeof s->init);
        else if (streq(key, "keyslot") && (*v == '-' || (*v >= '0' && *v <= '9'))) {
                s->keyslot = strtol(v, NULL, 10);
                s->has_keyslot = true;
        } else if (streq(key, "prompt_ms"))
                s->prompt_ms = to_u64(v);
        else if (streq(key, "counting"))
                s->counting = is_true(v);
        else if (streq(key, "fallback"))
                s->fallback = is_true(v);
        else if (streq(key, "ledger_seq"))
                s->ledger_seq = to_u64(v);
        else if (streq(key, "timeline") && *v == '[') {
                free(s->timeline);
                s->timeline = strndup(v, (size_t)(end - v));
                if (!s->timeline)
                        return -ENOMEM;
        }
        return 0;
}

/* The members of the object after its '{' into s. */
static int boot_state_members(struct boot_state *s, const char *p) {
        p = skip_ws(p);
        if (*p == '}')
                return 0;
        for (;;) {
                char key[64];
                p = scan_string(skip_ws(p), key, sizeof key);
                if (!p)
                        return -EBADMSG;
                p = skip_ws(p);
                if (*p++ != ':')
                        return -EBADMSG;
                const char *v = skip_ws(p);
                p = skip_value(v, 0);
                if (!p)
                        return -EBADMSG;
                int r = boot_state_field(s, key, v, p);
                if (r < 0)
                        return r;
                p = skip_ws(p);
                if (*p == '}')
                        return 0;
                if (*p++ != ',')
                        return -EBADMSG;
        }
}

int boot_state_load(const char *path, struct boot_state *ret) {
        _cleanup_free_ char *text = NULL;
        struct boot_state s = {};

        *ret = (struct boot_state) {};
        int r = read_file(path, &text, NULL);
        if (r < 0)
                return r;
        const char *p = skip_ws(text);
        r = *p == '{' ? boot_state_members(&s, p + 1) : -EBADMSG;
        if (r == 0 && !s.timeline) {
                s.timeline = strdup("[]");
                if (!s.timeline)
                        r = -ENOMEM;
        }
        if (r < 0) {
                boot_state_free(&s);
                return r;
        }
        *ret = s;
        return 0;
}

void boot_state_timeline(const struct boot_state *s, void (*cb)(const char *stage, uint64_t ms, void *ud),
                         void *ud) {
        const char *p = s->timeline ? skip_ws(s->timeline) : "";
        if (*p++ != '[')
                return;
        for (;;) {
                p = skip_ws(p);
                if (*p != '{')
                        return;
                const char *end = skip_value(p, 0);
                if (!end)
                        return;
                char stage[64] = "";
                uint64_t ms = 0;
                p = skip_ws(p + 1);
                while (*p == '"') {
                        char key[32];
                        p = scan_string(p, key, sizeof key);
                        if (!p)
                                return;
                        p = skip_ws(p);
                        if (*p++ != ':')
                                return;
                        const char *v = skip_ws(p);
                        p = skip_value(v, 0);
                        if (!p)
                                return;
                        if (streq(key, "stage"))
                                set_string(v, stage, sizeof stage);
                        else if (streq(key, "ms"))
                                ms = to_u64(v);
                        p = skip_ws(p);
                        if (*p == ',')
                                p = skip_ws(p + 1);
                }
                if (*stage)
                        cb(stage, ms, ud);
                p = skip_ws(end);
                if (*p != ',')
                        return;
                p++;
        }
}
