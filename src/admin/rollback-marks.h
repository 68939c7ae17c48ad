/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "ledger.h"
#include "progress.h"
#include "rootstate.h"

/* The marks a rollback to a target root leaves, so that systemd-boot's own order (and
 * koompi-init's, without a counting loader) boots the target next: every read-only root newer
 * than the target is bad (in the ledger, and its entry spent, "+0-DONE"), the target re-armed
 * when it was bad (a rearm mark, its entry "+TRIES"). Each step may be repeated: what is done
 * already is left as it is, so a run after a crash finishes the work. */

struct rollback_root {
        const char *name;
        uint64_t generation;
        bool read_only;
        const char *entry; /* its entry's file name, NULL when it has none */
        struct entry_name entry_name; /* entry parsed */
};

/* Whether a was made after b: the greater generation, then the greater name. */
bool rollback_root_newer(const struct rollback_root *a, const struct rollback_root *b);

/* Adds the marks to l (roots[target] is the target): the newer read-only roots not marked bad
 * yet get a bad mark; the target a rearm mark when the ledger's evidence makes it bad
 * (root_state_decide() with tries, as koompi-init without a counting loader would judge it).
 * Returns how many marks were added (0: l needs no saving). */
int rollback_mark_ledger(struct ledger *l, const struct rollback_root *roots, size_t n, size_t target,
                         unsigned tries, uint64_t now, progress_fn progress, void *userdata);

/* The name roots[i]'s entry gets (tries for a re-armed one); false when it keeps its own. */
bool rollback_entry_name(const struct rollback_root *roots, size_t i, size_t target, unsigned tries,
                         struct entry_name *ret);

/* Renames the entries in dirfd (the ESP's loader/entries), each rename synced. 0, or a negative
 * errno: -EEXIST when a new name is taken, else what renaming or syncing failed with; the
 * entries renamed before stay renamed (a repeat finishes the work). */
int rollback_rename_entries(int dirfd, const struct rollback_root *roots, size_t n, size_t target,
                            unsigned tries, progress_fn progress, void *userdata);
