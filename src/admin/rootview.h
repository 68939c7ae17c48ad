/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "btrfs.h"
#include "config.h"
#include "entry.h"
#include "ledger.h"
#include "rootpolicy.h"
#include "rootstate.h"

/* The view of the roots every admin command shares (status, list, update, snapshot, rollback,
 * prune, recover): the roots on Btrfs, their entries on the ESP, the ledger, the pins, this
 * boot's root, the default pattern and where it came from; for each root its state
 * (root_state_decide(), with its entry and the ledger as evidence), and which root is booted,
 * boots next, was last good and is configured. Never prints; what cannot be read is recorded,
 * not fatal.
 *
 * Boots next: bootnext_choose() over every entry on the ESP, koompi's or not, as systemd-boot
 * would: the default pattern is LoaderEntryDefault when the caller may trust the EFI variables
 * (the ESP is this machine's boot ESP), else loader.conf's "default"; without one, or when it
 * matches nothing, the first entry of the menu. LoaderEntryOneShot is not consulted: a one-shot
 * boot is not where the verbs start from. */

/* What the caller found. Strings are borrowed for the call only. */
struct root_view_input {
        const char *top; /* the Btrfs top level; NULL: the roots are unknown */
        const char *esp; /* the ESP; NULL: the entries are unknown */
        const char *ledger; /* the ledger file; NULL: an empty ledger */
        bool efi_ok; /* LoaderEntryDefault is this ESP's (admin_efi_ok()) */
        const struct koompi_config *config; /* boot_tries, snapshot; NULL: the defaults */
        char *const *pins; /* UUIDs of the pinned roots, NULL-terminated, or NULL */
        const char *booted; /* this boot's root (boot.json), NULL or "" when unknown */
};

/* One entry file in loader/entries or unified kernel image in EFI/Linux, koompi's or another
 * system's. */
struct root_view_entry {
        char file[ENTRY_NAME_MAX + 1];
        bool uki; /* a UKI in EFI/Linux (then version, sort_key and kernel from its os-release) */
        char id[ENTRY_NAME_MAX + 1]; /* entry_name_id() */
        struct entry_name name;
        bool koompi; /* "koompi-*" */
        char kernel[128]; /* the directory under koompi/ its "linux" line names, or "" */
        char version[64]; /* its "version" line, "" when none */
        char sort_key[64]; /* its "sort-key" line, "" when none */
        char options_root[256]; /* the root its options line names (entry_options_root()), or "" */
        int root; /* index into roots of its root (entry_is_of_root()), -1 for none */
};

struct root_view_root {
        struct btrfs_root_info info;
        char entry[ENTRY_NAME_MAX + 1]; /* its entry on the ESP (koompi's or written by hand),
                                                 * "" when none; with twins the counted one
                                                 * (entries sync keeps it) */
        struct entry_name entry_name;
        enum root_state state; /* verdict.state */
        struct root_verdict verdict;
        struct policy_root policy; /* its name points into info */
};

struct root_view {
        struct root_view_root *roots; /* newest first */
        size_t n_roots;
        int roots_error; /* 0, or why the roots are unknown (-ENOENT: no top) */
        struct root_view_entry *entries; /* in directory order */
        size_t n_entries;
        int esp_error; /* 0, or why the entries are unknown (-ENOENT: no ESP) */
        struct ledger ledger;
        int ledger_error; /* 0, or why the ledger was not read (then empty) */
        char **pins; /* a copy of the input's, NULL-terminated */
        int booted, next, last_good, configured; /* indices into roots, -1 when none or unknown */
        int next_entry; /* index into entries of the entry booted next, -1 */
        char next_pattern[256]; /* the default entry pattern, "" when none */
        const char *next_source; /* "LoaderEntryDefault", "loader/loader.conf" or NULL */
        const struct ledger_boot *last_good_boot; /* the newest good boot in the ledger, or NULL */
};

/* Fills *ret (free with root_view_free(), also after an error). 0 when the view was made, even
 * when parts are unknown (see the *_error fields); -EINVAL for a NULL argument, -ENOMEM. */
int root_view_load(const struct root_view_input *in, struct root_view *ret);
void root_view_free(struct root_view *v);
/* Index of the root named name, -1 when there is none. */
int root_view_find(const struct root_view *v, const char *name);
/* The root that updates and snapshots start from: the one booted next, else the booted one,
 * else boot.conf's snapshot, else the newest good one, as long as it is read-only and not bad.
 * Its index and *ret_why (which of them), or -1 and NULL when none qualifies. */
int root_view_current(const struct root_view *v, const char **ret_why);
