/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootpolicy.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "util.h"

static bool name_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '_' || c == '.';
}

int root_name_check(const char *name) {
        const char *rest = name ? startswith(name, ROOT_NAME_PREFIX) : NULL;
        if (!rest || !*rest || *rest == '.')
                return -EINVAL;
        if (strlen(name) > ROOT_NAME_MAX)
                return -ENAMETOOLONG;
        for (const char *p = rest; *p; p++)
                if (!name_char_ok(*p))
                        return -EINVAL;
        return 0;
}

int root_name_from_arg(const char *arg, char *buf, size_t size) {
        if (!arg || !*arg)
                return -EINVAL;
        const char *prefix = startswith(arg, ROOT_NAME_PREFIX) ? "" : ROOT_NAME_PREFIX;
        if ((size_t)snprintf(buf, size, "%s%s", prefix, arg) >= size)
                return strlen(prefix) + strlen(arg) > ROOT_NAME_MAX ? -ENAMETOOLONG : -ENOBUFS;
        return root_name_check(buf);
}

bool root_name_same_id(const char *a, const char *b) {
        char ia[ENTRY_ROOT_ID_MAX + 1], ib[ENTRY_ROOT_ID_MAX + 1];
        if (!a || !b)
                return false;
        if (streq(a, b))
                return true;
        return entry_id_from_root(a, ia, sizeof ia) == 0 && entry_id_from_root(b, ib, sizeof ib) == 0 &&
                streq(ia, ib);
}

int root_name_generate(int year, int month, int day, const char *const *existing, size_t n_existing,
                       char *buf, size_t size) {
        char name[ROOT_NAME_MAX + 1];

        if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31)
                return -EINVAL;
        for (unsigned seq = 1; seq <= ROOT_NAME_SEQ_MAX; seq++) {
                bool taken = false;
                if (seq == 1)
                        snprintf(name, sizeof name, ROOT_NAME_PREFIX "%04d-%02d-%02d", year, month, day);
                else
                        snprintf(name, sizeof name, ROOT_NAME_PREFIX "%04d-%02d-%02d.%u", year, month, day,
                                 seq);
                for (size_t i = 0; i < n_existing && !taken; i++)
                        taken = root_name_same_id(name, existing[i]);
                if (taken)
                        continue;
                if ((size_t)snprintf(buf, size, "%s", name) >= size)
                        return -ENOBUFS;
                return 0;
        }
        return -EEXIST;
}

static bool entry_matches(const char *pattern, const struct bootnext_entry *e) {
        return (e->id && fnmatch(pattern, e->id, FNM_CASEFOLD) == 0) ||
                (e->file && fnmatch(pattern, e->file, FNM_CASEFOLD) == 0);
}

static int sign(int v) {
        return (v > 0) - (v < 0);
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_version_char(char c) {
        return is_digit(c) || is_alpha(c) || c == '~' || c == '-' || c == '^' || c == '.';
}

/* A separator ('~', '-', '^', '.') in one version only: that one is older. When both have it,
 * *a and *b step past it. */
static int separator(const char **a, const char **b, char sep) {
        if (**a != sep && **b != sep)
                return 0;
        int r = sign((**a != sep) - (**b != sep));
        if (r == 0) {
                (*a)++;
                (*b)++;
        }
        return r;
}

/* The leading numeric or alphabetic segments of a and b; *a and *b step past them. */
static int segment(const char **a, const char **b) {
        const char *aa = *a, *bb = *b;
        int r;
        if (is_digit(**a) || is_digit(**b)) {
                while (is_digit(*aa))
                        aa++;
                while (is_digit(*bb))
                        bb++;
                r = sign((*a != aa) - (*b != bb));
                if (r != 0)
                        return r;
                while (**a == '0')
                        (*a)++;
                while (**b == '0')
                        (*b)++;
                r = sign((int)((aa - *a) - (bb - *b)));
                if (r == 0)
                        r = sign(strncmp(*a, *b, (size_t)(aa - *a)));
        } else {
                while (is_alpha(*aa))
                        aa++;
                while (is_alpha(*bb))
                        bb++;
                size_t la = (size_t)(aa - *a), lb = (size_t)(bb - *b);
                r = sign(strncmp(*a, *b, la < lb ? la : lb));
                if (r == 0)
                        r = sign((int)la - (int)lb);
        }
        *a = aa;
        *b = bb;
        return r;
}

int version_compare(const char *a, const char *b) {
        if (!a || !*a || !b || !*b)
                return sign((a && *a) - (b && *b));
        for (;;) {
                int r;
                while (*a && !is_version_char(*a))
                        a++;
                while (*b && !is_version_char(*b))
                        b++;
                if ((r = separator(&a, &b, '~')) != 0)
                        return r;
                if (!*a || !*b)
                        return sign(strcmp(a, b));
                if ((r = separator(&a, &b, '-')) != 0 || (r = separator(&a, &b, '^')) != 0 ||
                    (r = separator(&a, &b, '.')) != 0 || (r = segment(&a, &b)) != 0)
                        return r;
        }
}

static int cmp_bool(bool a, bool b) {
        return (int)a - (int)b;
}

/* < 0 when a comes before b in systemd-boot's menu. */
static int menu_order(const struct bootnext_entry *a, const struct bootnext_entry *b) {
        int r = cmp_bool(a->spent, b->spent);
        if (r == 0)
                r = cmp_bool(!a->sort_key, !b->sort_key);
        if (r == 0 && a->sort_key && b->sort_key) {
                r = sign(strcmp(a->sort_key, b->sort_key));
                if (r == 0)
                        r = -version_compare(a->version, b->version);
        }
        if (r == 0)
                r = -version_compare(a->id, b->id);
        if (r == 0 && a->counted && b->counted) {
                r = a->left != b->left ? (a->left > b->left ? -1 : 1) : 0;
                if (r == 0 && a->done != b->done)
                        r = a->done < b->done ? -1 : 1;
        }
        return r;
}

int bootnext_choose(const char *pattern, const struct bootnext_entry *entries, size_t n) {
        int best = -ENOENT;
        if ((!entries && n > 0) || (pattern && !*pattern))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (pattern && !entry_matches(pattern, &entries[i]))
                        continue;
                if (best < 0 || menu_order(&entries[i], &entries[best]) < 0)
                        best = (int)i;
        }
        return best;
}

/* a is newer than b: greater generation, then greater name. */
static bool newer(const struct policy_root *a, const struct policy_root *b) {
        if (a->generation != b->generation)
                return a->generation > b->generation;
        return strcmp(a->name ? a->name : "", b->name ? b->name : "") > 0;
}

int rollback_choose(const struct policy_root *roots, size_t n, size_t from) {
        int best = -ENOENT;
        if (from >= n)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                const struct policy_root *r = &roots[i];
                if (i == from || !r->read_only || !r->good || r->bad || !newer(&roots[from], r))
                        continue;
                if (best < 0 || newer(r, &roots[best]))
                        best = (int)i;
        }
        return best;
}

size_t retention_choose(const struct policy_root *roots, size_t n, unsigned keep, unsigned *ret) {
        size_t removed = 0;
        for (size_t i = 0; i < n; i++) {
                const struct policy_root *r = &roots[i];
                unsigned why = 0;
                if (!r->read_only)
                        why |= RETAIN_UNFINISHED;
                else {
                        /* Its rank among the read-only roots, newest first. */
                        size_t rank = 0;
                        for (size_t j = 0; j < n; j++)
                                if (j != i && roots[j].read_only && newer(&roots[j], r))
                                        rank++;
                        if (rank < keep)
                                why |= RETAIN_NEWEST;
                }
                if (r->booted)
                        why |= RETAIN_BOOTED;
                if (r->next)
                        why |= RETAIN_NEXT;
                if (r->last_good)
                        why |= RETAIN_LAST_GOOD;
                if (r->in_trial)
                        why |= RETAIN_IN_TRIAL;
                if (r->pinned)
                        why |= RETAIN_PINNED;
                if (r->configured)
                        why |= RETAIN_CONFIGURED;
                ret[i] = why;
                removed += why == 0;
        }
        return removed;
}

static const char *const retain_words[] = {
        "newest",   "booted", "boots next",         "last good",
        "in trial", "pinned", "configured default", "unfinished",
};

int retention_reasons_format(unsigned reasons, char *buf, size_t size) {
        size_t used = 0;
        if (size == 0)
                return -ENOBUFS;
        buf[0] = 0;
        for (size_t b = 0; b < ELEMENTSOF(retain_words); b++) {
                if (!(reasons & (1u << b)))
                        continue;
                int k = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", retain_words[b]);
                if (k < 0 || (size_t)k >= size - used)
                        return -ENOBUFS;
                used += (size_t)k;
        }
        return 0;
}
