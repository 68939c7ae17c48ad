/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entry.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdline.h"
#include "strv.h"
#include "util.h"

static char ascii_tolower(char c) {
        return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Reads 1*DIGIT from [*p, end) with a value <= INT_MAX; advances *p. */
static bool parse_counter_number(const char **p, const char *end, unsigned *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (s >= end || !is_digit(*s))
                return false;
        for (; s < end && is_digit(*s); s++) {
                v = v * 10 + (uint64_t)(*s - '0');
                if (v > INT_MAX)
                        return false;
        }
        *p = s;
        *ret = (unsigned)v;
        return true;
}

int entry_name_parse(const char *filename, const char *suffix, struct entry_name *ret) {
        size_t n, s, base_len;

        if (!filename || !suffix || !ret || !*suffix)
                return -EINVAL;
        n = strlen(filename);
        s = strlen(suffix);
        if (s > ENTRY_SUFFIX_MAX || strchr(filename, '/'))
                return -EINVAL;
        if (n > ENTRY_NAME_MAX)
                return -ENAMETOOLONG;
        if (n <= s || strcasecmp(filename + n - s, suffix) != 0)
                return -EINVAL;

        base_len = n - s;
        *ret = (struct entry_name) {};
        memcpy(ret->suffix, filename + base_len, s);

        /* The last '+' before the suffix, and nothing but the counter after it. A name that is
         * nothing but a counter ("+3.conf") has no counter: blessing it would leave ".conf". */
        const char *plus = memrchr(filename, '+', base_len);
        if (plus && plus > filename) {
                const char *p = plus + 1, *end = filename + base_len;
                unsigned left, done = 0;

                bool ok = parse_counter_number(&p, end, &left);
                if (ok && p < end && *p == '-') {
                        p++;
                        ok = parse_counter_number(&p, end, &done);
                }
                if (ok && p == end) {
                        memcpy(ret->stem, filename, (size_t)(plus - filename));
                        ret->has_counter = true;
                        ret->left = left;
                        ret->done = done;
                        return 0;
                }
        }

        memcpy(ret->stem, filename, base_len);
        return 0;
}

int entry_name_format(const struct entry_name *e, char *buf, size_t size) {
        int r;

        if (!e || !buf)
                return -EINVAL;
        if (!e->has_counter)
                r = snprintf(buf, size, "%s%s", e->stem, e->suffix);
        else if (e->done == 0)
                r = snprintf(buf, size, "%s+%u%s", e->stem, e->left, e->suffix);
        else
                r = snprintf(buf, size, "%s+%u-%u%s", e->stem, e->left, e->done, e->suffix);
        if (r < 0)
                return -EINVAL;
        if ((size_t)r >= size)
                return -ENOBUFS;
        return 0;
}

enum entry_state entry_name_state(const struct entry_name *e) {
        if (!e->has_counter)
                return ENTRY_GOOD;
        return e->left > 0 ? ENTRY_INDETERMINATE : ENTRY_BAD;
}

const char *entry_state_to_string(enum entry_state s) {
        switch (s) {
        case ENTRY_GOOD:
                return "good";
        case ENTRY_INDETERMINATE:
                return "indeterminate";
        case ENTRY_BAD:
                return "bad";
        }
        return NULL;
}

int entry_counter_bump(struct entry_name *e) {
        if (!e->has_counter)
                return -ENOENT;
        if (e->left > 0)
                e->left--;
        if (e->done < INT_MAX)
                e->done++;
        return 0;
}

void entry_counter_bless(struct entry_name *e) {
        e->has_counter = false;
        e->left = e->done = 0;
}

void entry_counter_mark_bad(struct entry_name *e) {
        if (!e->has_counter)
                e->done = 0;
        e->has_counter = true;
        e->left = 0;
}

int entry_counter_give_back(struct entry_name *e) {
        if (!e->has_counter)
                return -ENOENT;
        if (e->done == 0 || e->left >= INT_MAX)
                return -ERANGE;
        e->left++;
        e->done--;
        return 0;
}

int entry_counter_set(struct entry_name *e, unsigned tries) {
        if (tries > INT_MAX)
                return -ERANGE;
        e->has_counter = true;
        e->left = tries;
        e->done = 0;
        return 0;
}

static int copy_lower(char *buf, size_t size, const char *a, const char *b) {
        size_t la = strlen(a), lb = b ? strlen(b) : 0;

        if (la + lb >= size)
                return -ENOBUFS;
        for (size_t i = 0; i < la; i++)
                buf[i] = ascii_tolower(a[i]);
        for (size_t i = 0; i < lb; i++)
                buf[la + i] = ascii_tolower(b[i]);
        buf[la + lb] = 0;
        return 0;
}

int entry_name_id(const struct entry_name *e, char *buf, size_t size) {
        if (!e || !buf)
                return -EINVAL;
        return copy_lower(buf, size, e->stem, e->suffix);
}

int entry_id_from_filename(const char *filename, char *buf, size_t size) {
        struct entry_name e;

        if (!filename || !buf)
                return -EINVAL;
        if (entry_name_parse(filename, ".conf", &e) >= 0 || entry_name_parse(filename, ".efi", &e) >= 0)
                return entry_name_id(&e, buf, size);
        return copy_lower(buf, size, filename, NULL);
}

bool entry_id_equal(const char *a, const char *b) {
        char x[ENTRY_NAME_MAX + 1], y[ENTRY_NAME_MAX + 1];

        if (!a || !b)
                return false;
        if (entry_id_from_filename(a, x, sizeof x) < 0 || entry_id_from_filename(b, y, sizeof y) < 0)
                return false;
        return streq(x, y);
}

static bool is_id_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_' ||
                c == '.';
}

int entry_id_from_root(const char *root, char *buf, size_t size) {
        size_t n;

        if (!root || !buf)
                return -EINVAL;
        if (*root == '@')
                root++;
        n = strlen(root);
        if (n == 0 || root[0] == '.')
                return -EINVAL;
        if (n > ENTRY_ROOT_ID_MAX)
                return -ENAMETOOLONG;
        if (n >= size)
                return -ENOBUFS;
        for (size_t i = 0; i < n; i++)
                buf[i] = is_id_char(root[i]) ? ascii_tolower(root[i]) : '_';
        buf[n] = 0;
        return 0;
}

int entry_filename_for_root(const char *root, unsigned tries, char *buf, size_t size) {
        char id[ENTRY_ROOT_ID_MAX + 1];
        int r;

        if (tries > INT_MAX)
                return -ERANGE;
        r = entry_id_from_root(root, id, sizeof id);
        if (r < 0)
                return r;
        if (tries > 0)
                r = snprintf(buf, size, ENTRY_KOOMPI_PREFIX "%s+%u.conf", id, tries);
        else
                r = snprintf(buf, size, ENTRY_KOOMPI_PREFIX "%s.conf", id);
        if (r < 0)
                return -EINVAL;
        return (size_t)r >= size ? -ENOBUFS : 0;
}

const char *entry_name_koompi_id(const struct entry_name *e) {
        const char *id = startswith(e->stem, ENTRY_KOOMPI_PREFIX);
        return id && *id ? id : NULL;
}

/* ---- the root of an entry ---- */

/* The last subvol= of a rootflags= value, without its leading '/'s, as koompi-init mounts it. */
static const char *rootflags_subvol(const char *flags, size_t *ret_len) {
        const char *found = NULL;
        for (const char *p = flags; p && *p;) {
                size_t n = strcspn(p, ",");
                const char *v = startswith(p, "subvol=");
                if (v && v < p + n) {
                        v += strspn(v, "/");
                        found = v;
                        *ret_len = n - (size_t)(v - p);
                }
                p += n + (p[n] == ',');
        }
        return found;
}

int entry_options_root(const char *options, char *buf, size_t size) {
        struct boot_cmdline c;
        const char *root = NULL;
        size_t len = 0;
        if (!options || !buf)
                return -EINVAL;
        int r = cmdline_parse(options, &c);
        if (r < 0)
                return r;
        if (c.snapshot && *c.snapshot) {
                root = c.snapshot;
                len = strlen(root);
        } else
                root = rootflags_subvol(c.rootflags, &len);
        if (!root || len == 0)
                r = -ENOENT;
        else if (len >= size)
                r = -ENOBUFS;
        else {
                memcpy(buf, root, len);
                buf[len] = 0;
        }
        cmdline_free(&c);
        return r;
}

bool entry_is_of_root(const struct entry_name *e, const char *options_root, const char *root) {
        char id[ENTRY_ROOT_ID_MAX + 1];
        const char *koompi_id = entry_name_koompi_id(e);
        if (!root)
                return false;
        if (options_root && *options_root)
                return streq(options_root, root);
        return koompi_id && entry_id_from_root(root, id, sizeof id) == 0 && entry_id_equal(koompi_id, id);
}

/* ---- contents ---- */

void entry_content_free(struct entry_content *c) {
        if (!c)
                return;
        free(c->title);
        free(c->version);
        free(c->sort_key);
        free(c->kernel);
        free(c->initrd);
        free(c->options);
        strv_free(c->extra);
        *c = (struct entry_content) {};
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int set_string(char **field, const char *v, size_t len) {
        char *s = strndup(v, len);
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int append_options(char **field, const char *v, size_t len) {
        if (len == 0)
                return 0;
        if (!*field || !**field)
                return set_string(field, v, len);
        size_t old = strlen(*field);
        char *s = realloc(*field, old + 1 + len + 1);
        if (!s)
                return -ENOMEM;
        s[old] = ' ';
        memcpy(s + old + 1, v, len);
        s[old + 1 + len] = 0;
        *field = s;
        return 0;
}

static int parse_line(struct entry_content *c, const char *line, size_t len) {
        const char *end = line + len;

        while (line < end && is_space(*line))
                line++;
        while (end > line && is_space(end[-1]))
                end--;
        if (line == end || *line == '#')
                return 0;

        const char *k = line;
        while (line < end && !is_space(*line))
                line++;
        size_t klen = (size_t)(line - k);
        while (line < end && is_space(*line))
                line++;
        const char *v = line;
        size_t vlen = (size_t)(end - v);

#define KEY_IS(name) (klen == strlen(name) && memcmp(k, name, klen) == 0)
        if (KEY_IS("title"))
                return set_string(&c->title, v, vlen);
        if (KEY_IS("version"))
                return set_string(&c->version, v, vlen);
        if (KEY_IS("sort-key"))
                return set_string(&c->sort_key, v, vlen);
        if (KEY_IS("linux"))
                return set_string(&c->kernel, v, vlen);
        if (KEY_IS("options"))
                return append_options(&c->options, v, vlen);
        /* An initrd line naming no file loads nothing: it takes no slot, or the first file of
         * the entry would move when the entry is written and read again. */
        if (KEY_IS("initrd") && vlen == 0)
                return 0;
        if (KEY_IS("initrd") && !c->initrd)
                return set_string(&c->initrd, v, vlen);
#undef KEY_IS

        /* Kept as "key value" with the whitespace between them normalised. */
        char *s = malloc(klen + 1 + vlen + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, k, klen);
        if (vlen > 0) {
                s[klen] = ' ';
                memcpy(s + klen + 1, v, vlen);
                s[klen + 1 + vlen] = 0;
        } else
                s[klen] = 0;
        return strv_consume(&c->extra, s);
}

int entry_content_parse(const char *text, struct entry_content *ret) {
        struct entry_content c = {};

        if (!text || !ret)
                return -EINVAL;
        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n");
                int r = parse_line(&c, p, len);
                if (r < 0) {
                        entry_content_free(&c);
                        return r;
                }
                p += len;
                if (*p == '\n')
                        p++;
        }
        *ret = c;
        return 0;
}

struct buf {
        char *data;
        size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t len) {
        if (b->len + len + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->len + len + 1)
                        cap *= 2;
                char *d = realloc(b->data, cap);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        memcpy(b->data + b->len, s, len);
        b->len += len;
        b->data[b->len] = 0;
        return 0;
}

static bool has_line_break(const char *s) {
        return s && strpbrk(s, "\r\n");
}

static int add_key(struct buf *b, const char *key, const char *value) {
        int r;

        if (!value || !*value)
                return 0;
        if (key) {
                r = buf_add(b, key, strlen(key));
                if (r >= 0)
                        r = buf_add(b, " ", 1);
                if (r < 0)
                        return r;
        }
        r = buf_add(b, value, strlen(value));
        if (r >= 0)
                r = buf_add(b, "\n", 1);
        return r;
}

int entry_content_format(const struct entry_content *c, char **ret) {
        struct buf b = {};
        int r;

        if (!c || !ret)
                return -EINVAL;
        if (has_line_break(c->title) || has_line_break(c->version) || has_line_break(c->sort_key) ||
            has_line_break(c->kernel) || has_line_break(c->initrd) || has_line_break(c->options))
                return -EINVAL;
        for (char **e = c->extra; e && *e; e++)
                if (has_line_break(*e))
                        return -EINVAL;

        r = buf_add(&b, "", 0);
        if (r >= 0)
                r = add_key(&b, "title", c->title);
        if (r >= 0)
                r = add_key(&b, "version", c->version);
        if (r >= 0)
                r = add_key(&b, "sort-key", c->sort_key);
        if (r >= 0)
                r = add_key(&b, "linux", c->kernel);
        if (r >= 0)
                r = add_key(&b, "initrd", c->initrd);
        for (char **e = c->extra; r >= 0 && e && *e; e++)
                r = add_key(&b, NULL, *e);
        if (r >= 0)
                r = add_key(&b, "options", c->options);
        if (r < 0) {
                free(b.data);
                return r;
        }
        *ret = b.data;
        return 0;
}
