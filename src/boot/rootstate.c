/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootstate.h"

#include <errno.h>

const char *root_state_to_string(enum root_state s) {
        switch (s) {
        case ROOT_UNTESTED:
                return "untested";
        case ROOT_IN_TRIAL:
                return "in-trial";
        case ROOT_GOOD:
                return "good";
        case ROOT_BAD:
                return "bad";
        default:
                return NULL;
        }
}

const char *root_state_why_to_string(enum root_state_why w) {
        switch (w) {
        case ROOT_WHY_NOTHING:
                return "none";
        case ROOT_WHY_ENTRY_COUNTER:
        case ROOT_WHY_ENTRY_BLESSED:
                return "entry";
        case ROOT_WHY_LEDGER_BAD:
        case ROOT_WHY_LEDGER:
                return "ledger";
        default:
                return NULL;
        }
}

static unsigned effective_tries(unsigned tries) {
        return tries > 0 ? tries : ROOT_TRIES_DEFAULT;
}

static void from_counter(const struct entry_name *e, struct root_verdict *v) {
        v->why = ROOT_WHY_ENTRY_COUNTER;
        v->failures = e->done;
        v->entry_spent = e->left == 0;
        v->tries_left = (int)e->left;
        if (v->entry_spent)
                v->state = ROOT_BAD;
        else
                v->state = e->done > 0 ? ROOT_IN_TRIAL : ROOT_UNTESTED;
}

static bool ledger_bad(const struct ledger_root_status *s, unsigned tries) {
        return s && (s->bad || (!s->good && s->failures >= tries));
}

int root_state_decide(const struct root_evidence *e, struct root_verdict *ret) {
        if (!e || !ret)
                return -EINVAL;
        unsigned tries = effective_tries(e->tries);
        const struct ledger_root_status *s = e->ledger;
        struct root_verdict v = { .state = ROOT_UNTESTED, .why = ROOT_WHY_NOTHING, .tries_left = -1 };

        if (e->entry && e->entry->has_counter)
                from_counter(e->entry, &v);
        else {
                v.failures = s ? s->failures : 0;
                if (ledger_bad(s, tries)) {
                        v.state = ROOT_BAD;
                        v.why = ROOT_WHY_LEDGER_BAD;
                } else if (e->entry) {
                        v.state = ROOT_GOOD;
                        v.why = ROOT_WHY_ENTRY_BLESSED;
                } else if (s) {
                        v.why = ROOT_WHY_LEDGER;
                        v.state = s->good ? ROOT_GOOD : s->failures > 0 ? ROOT_IN_TRIAL : ROOT_UNTESTED;
                        if (v.state != ROOT_GOOD)
                                v.tries_left = (int)(tries - s->failures);
                }
        }
        *ret = v;
        return 0;
}
