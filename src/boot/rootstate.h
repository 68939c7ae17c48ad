/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

#include "entry.h"
#include "ledger.h"

/* What state a root is in, from the evidence about it: the one rule koompi-init's fallback, its
 * recovery menu and every koompi-boot verb apply. Pure; the caller gathers the evidence.
 *
 * How the evidence combines, first match wins:
 *   1. its entry has a counter: systemd-boot counts this root, and its counter is the count
 *      (two counters never run at once): "+0" or "+0-N" bad (spent), "+L-N" in trial with N
 *      failures, "+L" untested; the ledger's record is not consulted (koompi-boot's mark-bad and
 *      rollback rename the entry as well as telling the ledger);
 *   2. the ledger marks it bad, or a boot of it ended bad while it was not good, or it failed
 *      `tries` boots in a row and was never good: bad (this beats a blessed entry: an admin's
 *      word, or koompi-init's count without a counting loader, outlives the entry's name);
 *   3. its entry has no counter (blessed, or made for a root known good): good;
 *   4. the ledger knows it good: good;
 *   5. the ledger counts failed boots since it was last good: in trial;
 *   6. otherwise untested.
 * Whether it is read-only does not change its state: a root that is not read-only is simply
 * never booted (see fallback.h). */

enum root_state {
        ROOT_UNTESTED, /* no failure and never good (since its last mark) */
        ROOT_IN_TRIAL, /* some failed boots, fewer than the tries */
        ROOT_GOOD, /* booted fine once, or blessed */
        ROOT_BAD, /* out of tries, or marked bad */
        _ROOT_STATE_MAX,
};

/* Which evidence decided, for people and for `status --json`'s "state_from". */
enum root_state_why {
        ROOT_WHY_NOTHING, /* no entry, nothing in the ledger */
        ROOT_WHY_ENTRY_COUNTER, /* rule 1 */
        ROOT_WHY_LEDGER_BAD, /* rule 2 */
        ROOT_WHY_ENTRY_BLESSED, /* rule 3 */
        ROOT_WHY_LEDGER, /* rules 4 to 6 */
        _ROOT_WHY_MAX,
};

struct root_evidence {
        const struct entry_name *entry; /* its koompi entry's name, NULL when none */
        const struct ledger_root_status *ledger; /* ledger_root_status(), NULL when not read */
        unsigned tries; /* boots a root gets; 0: ROOT_TRIES_DEFAULT */
};

#define ROOT_TRIES_DEFAULT 3

struct root_verdict {
        enum root_state state;
        enum root_state_why why;
        unsigned failures; /* consecutive failed boots: the entry's DONE, else the ledger's */
        int tries_left; /* boots left before it is bad: its entry's LEFT when counted (0 when
                                 * spent), else the tries less the failures while the ledger has it
                                 * untested or in trial; -1 otherwise */
        bool entry_spent; /* its entry is out of tries ("+0", "+0-N") */
};

/* Fills *ret by the rule above. 0, or -EINVAL when e or ret is NULL. */
int root_state_decide(const struct root_evidence *e, struct root_verdict *ret);

/* "untested", "in-trial", "good", "bad"; NULL for a value out of range. */
const char *root_state_to_string(enum root_state s);
/* "entry" (rules 1 and 3), "ledger" (rules 2, 4 to 6) or "none"; NULL out of range. */
const char *root_state_why_to_string(enum root_state_why w);
