/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What koompi-boot decides about root snapshots, as pure functions of what the caller gathered
 * (Btrfs, the entries on the ESP, the ledger, the pins): the name of a new root, the entry
 * systemd-boot boots next, the root a rollback goes back to, and the roots prune keeps.
 *
 * Names. A root keeps the name it was made with for its whole life: entries, the ledger, the
 * running system's record of its boot and the admin's notes all say the same thing about it.
 * New roots are named after the day they were made, "@root-2024-12-01", then
 * "@root-2024-12-01.2", ".3", ... for more on the same day. Names an admin gives are
 * "@root-" followed by letters, digits, '-', '_' and '.', so that the entry ID derived from a
 * name (entry_id_from_root()) differs from the name only in case. */

#define ROOT_NAME_PREFIX "@root-"
#define ROOT_NAME_MAX 64 /* the whole name, prefix included */
#define ROOT_NAME_SEQ_MAX 999 /* "@root-DATE.999": the most roots made in one day */

/* 0 when name is an acceptable root name (see above); -EINVAL when not, -ENAMETOOLONG beyond
 * ROOT_NAME_MAX. */
int root_name_check(const char *name);
/* What an admin typed, as a root name: "term1" -> "@root-term1"; "@root-term1" as is.
 * Then root_name_check(). */
int root_name_from_arg(const char *arg, char *buf, size_t size);
/* The name of a new root made on the given day (year 1900..9999, month 1..12, day 1..31):
 * the first of "@root-YYYY-MM-DD", "@root-YYYY-MM-DD.2", ... that is not among existing, nor
 * gives the same entry ID as one of them. -EEXIST after ROOT_NAME_SEQ_MAX names, -EINVAL for
 * a date out of range, -ENOBUFS when size is too small. */
int root_name_generate(int year, int month, int day, const char *const *existing, size_t n_existing,
                       char *buf, size_t size);
/* Whether a and b are the same root name for the boot loader (their entry IDs are equal). */
bool root_name_same_id(const char *a, const char *b);

/* The next boot: the entry systemd-boot starts when nobody picks one (boot_entry_compare() and
 * config_select_default_entry() of systemd-boot, which bootctl's list agrees with):
 *   - the menu is sorted: an entry whose tries are spent ("+0", "+0-N") after every other; then
 *     entries with a sort-key before those without, sort-keys in strcmp() order; for two entries
 *     with a sort-key, the greater version first; then the greater ID; versions and IDs compared
 *     as version strings (version_compare()); then the entry with more tries left, then fewer
 *     done (machine-id is not compared: koompi entries carry none);
 *   - with a default pattern (a glob matched against the ID or the file name, without regard to
 *     case) the first entry of the menu that matches boots; without one, the first entry. */
struct bootnext_entry {
        const char *id; /* "koompi-root-x.conf": the file name without counter, lower case */
        const char *file; /* as on the ESP */
        const char *version; /* its "version" line, NULL when none */
        const char *sort_key; /* its "sort-key" line, NULL when none */
        bool spent; /* "+0" or "+0-N" */
        bool counted; /* has a counter; then left and done */
        unsigned left, done;
};
/* Index of the entry booted next; -ENOENT when none matches (or n is 0), -EINVAL for an empty
 * pattern or entries NULL with n > 0. pattern NULL: no default, the first entry of the menu. */
int bootnext_choose(const char *pattern, const struct bootnext_entry *entries, size_t n);
/* systemd's strverscmp_improved(): < 0, 0 or > 0 as version a is older than, the same as or
 * newer than b. "1.10" > "1.2", "2024-12-01.2" > "2024-12-01", "1~rc1" < "1"; a missing or empty
 * version is older than any other. */
int version_compare(const char *a, const char *b);

/* A root as the rollback and prune choices see it. */
struct policy_root {
        const char *name;
        uint64_t generation; /* Btrfs otransid: newer roots have larger values */
        bool read_only; /* false: an update still being written (left to its recovery) */
        bool good; /* booted well once, or blessed, and not known bad since */
        bool bad; /* out of tries or marked bad */
        bool in_trial; /* started at least once, neither good nor bad yet */
        bool booted; /* the running system */
        bool next; /* boots next (bootnext_choose()) */
        bool last_good; /* the root of the newest boot the ledger records as good */
        bool pinned; /* `koompi-boot snapshot pin` */
        bool configured; /* boots without koompi.snapshot= (boot.conf's snapshot) */
};

/* The root a rollback without a name goes back to: the newest read-only good root older than
 * the root at index `from` (the booted root, or the next one when the booted one is unknown).
 * Index, or -ENOENT when there is none; -EINVAL when from is out of range. */
int rollback_choose(const struct policy_root *roots, size_t n, size_t from);

/* Why prune keeps a root: a set of these bits; 0 means it goes. */
enum {
        RETAIN_NEWEST = 1u << 0, /* among the `keep` newest read-only roots */
        RETAIN_BOOTED = 1u << 1,
        RETAIN_NEXT = 1u << 2,
        RETAIN_LAST_GOOD = 1u << 3,
        RETAIN_IN_TRIAL = 1u << 4,
        RETAIN_PINNED = 1u << 5,
        RETAIN_CONFIGURED = 1u << 6,
        RETAIN_UNFINISHED = 1u << 7, /* not read-only: never pruned */
        _RETAIN_MAX = 1u << 8,
};

/* Fills ret[i] with the reasons root i is kept (0: pruned). The newest `keep` read-only roots
 * are kept (by generation, ties by the greater name), and every root booted, next, last good,
 * in trial, pinned, configured or not read-only, whatever its age. Returns how many go. */
size_t retention_choose(const struct policy_root *roots, size_t n, unsigned keep, unsigned *ret);
/* "newest, booted, pinned": the reasons in words, "" for 0. -ENOBUFS when cut. */
int retention_reasons_format(unsigned reasons, char *buf, size_t size);
