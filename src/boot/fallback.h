/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "ledger.h"
#include "rootstate.h"

/* Automatic rollback: which root to boot when the one asked for keeps failing. A pure function
 * of the roots and their states; the caller gathers them (Btrfs, the ledger, the entries on the
 * ESP) and acts on the choice (mounts, writes the ledger, renames the entry).
 *
 * Without a counting boot loader (koompi-init keeps the count in the ledger):
 *   - the requested root is booted unless it is bad: marked bad, or it failed `tries` boots in a
 *     row (abandoned attempts at the passphrase prompt don't count) and was never good; also
 *     unless it does not exist or is not read-only;
 *   - otherwise the newest read-only root known good is booted, else the newest read-only root
 *     not known bad, never the failing one;
 *   - the ledger is what keeps the failing root skipped on later boots: it gets no new boots, so
 *     its failures stay, until an admin marks it (ledger_mark_root) or it is blessed.
 * With a counting loader (systemd-boot counts in the entry names):
 *   - the requested root is booted as it is, since systemd-boot already chose; but when it is
 *     older than the newest root whose entry is spent ("+0-N"), the choice is reported as a
 *     fallback, so the admin hears of it;
 *   - only a requested root that cannot be booted at all (missing, not read-only) is replaced,
 *     and then mark_entry_bad tells the caller to mark the started entry bad first: otherwise
 *     systemd-bless-boot would bless the entry of a root that never ran.
 *
 * Typical use in koompi-init:
 *     ledger_load(); ledger_close_stale();
 *     for each root: fallback_root_from_ledger() (or fallback_root_from_entry());
 *     fallback_choose(); on a fallback ledger_add_alert("fallback", choice.message);
 *     ledger_append_boot(choice.root->name); ledger_set_stage() as the boot goes; ledger_save(). */

#define FALLBACK_MESSAGE_MAX 512

struct fallback_root {
        const char *name; /* "@root-2024-12-01" */
        bool read_only;
        uint64_t generation; /* newer roots have larger values (creation time, Btrfs otransid);
                                 * equal values are ordered by name */
        enum root_state state;
        unsigned failures; /* consecutive failed boots since last good (or the entry's DONE) */
        bool entry_spent; /* its loader entry is out of tries ("+0", "+0-N") */
        const char *failure_note; /* why its newest failed boot failed (the ledger's note, e.g.
                                   * "check `home-mounted` failed: ..."); NULL or "" if unknown */
};

struct fallback_input {
        const char *requested; /* the root asked for (koompi.snapshot=, the entry, the config) */
        const struct fallback_root *roots;
        size_t n_roots;
        unsigned tries; /* 0: ROOT_TRIES_DEFAULT */
        bool counting_loader; /* systemd-boot counts: LoaderBootCountPath was set */
};

enum fallback_reason {
        FALLBACK_REASON_NONE,
        FALLBACK_REASON_FAILED, /* out of tries */
        FALLBACK_REASON_MARKED_BAD,
        FALLBACK_REASON_MISSING, /* no such root */
        FALLBACK_REASON_NOT_READ_ONLY, /* e.g. an update still being written */
        FALLBACK_REASON_ENTRY_SPENT, /* counting loader: a newer root's entry is spent */
};

struct fallback_choice {
        const struct fallback_root *root; /* to boot, points into the input; NULL if none */
        bool fallback; /* not the root that should have booted */
        const char *failed; /* the root that failed (into the input), or NULL */
        enum fallback_reason reason;
        bool mark_entry_bad; /* counting loader: mark the started entry bad,
                                                 * also when nothing is bootable */
        char message[FALLBACK_MESSAGE_MAX]; /* for the alert and the console, "" if none */
};

/* Fills *ret. 0 when a root was chosen (possibly a fallback); -ENOENT when nothing bootable is
 * left (ret->message says why: the caller goes to the recovery path); -EINVAL for a NULL or empty
 * requested name. */
int fallback_choose(const struct fallback_input *in, struct fallback_choice *ret);

/* Whether a root is skipped: state bad, or (without a counting loader) `tries` failures and not
 * good. tries 0 means the default. */
bool fallback_root_is_bad(const struct fallback_root *r, unsigned tries, bool counting_loader);
/* Sets r->state, r->failures and r->entry_spent from a verdict of root_state_decide(). */
void fallback_root_set(struct fallback_root *r, const struct root_verdict *v);
/* root_state_decide() with the ledger's record of r->name as the only evidence (koompi-init
 * without a counting loader, the recovery menu): good when it was good, bad when marked bad or
 * out of tries, in trial after a failure, else untested. */
void fallback_root_from_ledger(struct fallback_root *r, const struct ledger *l, unsigned tries);
/* root_state_decide() with the root's entry name as the only evidence (koompi-init under a
 * counting loader): no counter = good, "+0[-N]" = bad and spent, "+L" = untested, "+L-N" = in
 * trial with N failures. */
void fallback_root_from_entry(struct fallback_root *r, const struct entry_name *e);
/* Sets r->failure_note from the ledger (a pointer into l): the note of r's newest failed boot
 * since it was last good, when that boot has one. The state is left as it is. */
void fallback_root_note_from_ledger(struct fallback_root *r, const struct ledger *l);

const char *fallback_reason_to_string(enum fallback_reason r);
