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
                        snprintf(name, sizeof name, ROOT_NAME_PREFIX "%04d-%02d-%02d.%u", year, month, day, seq);
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

/* > 0 when a boots before b. */
static int boots_before(const struct bootnext_entry *a, const struct bootnext_entry *b) {
        if (a->spent != b->spent)
                return a->spent ? -1 : 1;
        if (a->version != b->version)
                return a->version > b->version ? 1 : -1;
        return strverscmp(a->id ? a->id : "", b->id ? b->id : "");
}

int bootnext_choose(const char *pattern, const struct bootnext_entry *entries, size_t n) {
        int best = -ENOENT;
        if (!pattern || !*pattern)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!entry_matches(pattern, &entries[i]))
                        continue;
                if (best < 0 || boots_before(&entries[i], &entries[best]) > 0)
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
        "newest", "booted", "boots next", "last good", "in trial", "pinned", "configured default", "unfinished",
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
