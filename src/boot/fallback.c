/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fallback.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

const char *fallback_reason_to_string(enum fallback_reason r) {
        switch (r) {
        case FALLBACK_REASON_NONE:
                return "none";
        case FALLBACK_REASON_FAILED:
                return "failed";
        case FALLBACK_REASON_MARKED_BAD:
                return "marked-bad";
        case FALLBACK_REASON_MISSING:
                return "missing";
        case FALLBACK_REASON_NOT_READ_ONLY:
                return "not-read-only";
        case FALLBACK_REASON_ENTRY_SPENT:
                return "entry-spent";
        }
        return NULL;
}

static unsigned effective_tries(unsigned tries) {
        return tries > 0 ? tries : ROOT_TRIES_DEFAULT;
}

bool fallback_root_is_bad(const struct fallback_root *r, unsigned tries, bool counting_loader) {
        if (r->state == ROOT_BAD)
                return true;
        /* With a counting loader the entry's counter is the only count. */
        return !counting_loader && r->state != ROOT_GOOD && r->failures >= effective_tries(tries);
}

void fallback_root_set(struct fallback_root *r, const struct root_verdict *v) {
        r->state = v->state;
        r->failures = v->failures;
        r->entry_spent = v->entry_spent;
}

void fallback_root_from_ledger(struct fallback_root *r, const struct ledger *l, unsigned tries) {
        struct ledger_root_status s;
        struct root_verdict v;

        ledger_root_status(l, r->name, &s);
        root_state_decide(&(struct root_evidence) { .ledger = &s, .tries = tries }, &v);
        fallback_root_set(r, &v);
        fallback_root_note_from_ledger(r, l);
}

void fallback_root_note_from_ledger(struct fallback_root *r, const struct ledger *l) {
        struct ledger_root_status s;

        ledger_root_status(l, r->name, &s);
        r->failure_note = s.last_failure && *s.last_failure->note ? s.last_failure->note : NULL;
}

void fallback_root_from_entry(struct fallback_root *r, const struct entry_name *e) {
        struct root_verdict v;

        root_state_decide(&(struct root_evidence) { .entry = e }, &v);
        fallback_root_set(r, &v);
}

static bool is_newer(const struct fallback_root *a, const struct fallback_root *b) {
        if (a->generation != b->generation)
                return a->generation > b->generation;
        return strcmp(a->name, b->name) > 0;
}

static const struct fallback_root *find_root(const struct fallback_input *in, const char *name) {
        for (size_t i = 0; i < in->n_roots; i++)
                if (in->roots[i].name && streq(in->roots[i].name, name))
                        return &in->roots[i];
        return NULL;
}

/* The newest read-only root other than the requested one that is not bad (and good if asked). */
static const struct fallback_root *newest_candidate(const struct fallback_input *in, bool good_only) {
        const struct fallback_root *best = NULL;

        for (size_t i = 0; i < in->n_roots; i++) {
                const struct fallback_root *r = &in->roots[i];
                if (!r->name || !r->read_only || streq(r->name, in->requested))
                        continue;
                if (fallback_root_is_bad(r, in->tries, in->counting_loader))
                        continue;
                if (good_only && r->state != ROOT_GOOD)
                        continue;
                if (!best || is_newer(r, best))
                        best = r;
        }
        return best;
}

static void describe_failure(char *buf, size_t size, const char *name, enum fallback_reason reason,
                             unsigned failures, const char *note) {
        switch (reason) {
        case FALLBACK_REASON_MISSING:
                snprintf(buf, size, "%s does not exist", name);
                break;
        case FALLBACK_REASON_NOT_READ_ONLY:
                snprintf(buf, size, "%s is not read-only", name);
                break;
        case FALLBACK_REASON_MARKED_BAD:
                snprintf(buf, size, "%s was marked bad", name);
                break;
        case FALLBACK_REASON_FAILED:
        case FALLBACK_REASON_ENTRY_SPENT:
                if (failures > 0)
                        snprintf(buf, size, "%s failed %u boot%s in a row", name, failures,
                                 failures == 1 ? "" : "s");
                else
                        snprintf(buf, size, "%s used up its boot tries", name);
                break;
        case FALLBACK_REASON_NONE:
                buf[0] = 0;
                return;
        }
        /* The failed boot's own account: the health check that failed, for instance. */
        if (note && *note &&
            (reason == FALLBACK_REASON_MARKED_BAD || reason == FALLBACK_REASON_FAILED ||
             reason == FALLBACK_REASON_ENTRY_SPENT)) {
                size_t n = strlen(buf);
                snprintf(buf + n, size - n, ": %s", note);
        }
}

/* "the last good root" when no newer good read-only root (other than the failed one) exists. */
static const char *describe_choice(const struct fallback_input *in, const struct fallback_root *r,
                                   const char *failed) {
        if (r->state != ROOT_GOOD)
                return "not yet known good";
        for (size_t i = 0; i < in->n_roots; i++) {
                const struct fallback_root *o = &in->roots[i];
                if (o != r && o->name && o->read_only && o->state == ROOT_GOOD &&
                    !streq_ptr(o->name, failed) && is_newer(o, r))
                        return "a good root";
        }
        return "the last good root";
}

static void fill_message(const struct fallback_input *in, struct fallback_choice *ret,
                         const struct fallback_root *failed, unsigned failures) {
        char what[FALLBACK_MESSAGE_MAX / 2];

        describe_failure(what, sizeof what, ret->failed, ret->reason, failures,
                         failed ? failed->failure_note : NULL);
        if (ret->root)
                snprintf(ret->message, sizeof ret->message, "%s; booted %s, %s", what, ret->root->name,
                         describe_choice(in, ret->root, ret->failed));
        else
                snprintf(ret->message, sizeof ret->message, "%s; no other root can be booted", what);
}

int fallback_choose(const struct fallback_input *in, struct fallback_choice *ret) {
        const struct fallback_root *req;
        unsigned failures = 0;

        if (!in || !ret || !in->requested || !*in->requested || (in->n_roots > 0 && !in->roots))
                return -EINVAL;
        *ret = (struct fallback_choice) {};

        req = find_root(in, in->requested);
        if (!req)
                ret->reason = FALLBACK_REASON_MISSING;
        else if (!req->read_only)
                ret->reason = FALLBACK_REASON_NOT_READ_ONLY;
        else if (!in->counting_loader && fallback_root_is_bad(req, in->tries, false))
                ret->reason = req->failures >= effective_tries(in->tries) ? FALLBACK_REASON_FAILED
                                                                          : FALLBACK_REASON_MARKED_BAD;

        if (ret->reason == FALLBACK_REASON_NONE) {
                ret->root = req;
                if (!in->counting_loader)
                        return 0;

                /* systemd-boot chose; only report when a newer root's tries ran out. */
                const struct fallback_root *spent = NULL;
                for (size_t i = 0; i < in->n_roots; i++) {
                        const struct fallback_root *r = &in->roots[i];
                        if (r->name && r->entry_spent && (!spent || is_newer(r, spent)))
                                spent = r;
                }
                if (!spent || spent == req || !is_newer(spent, req))
                        return 0;
                ret->fallback = true;
                ret->failed = spent->name;
                ret->reason = FALLBACK_REASON_ENTRY_SPENT;
                fill_message(in, ret, spent, spent->failures);
                return 0;
        }

        ret->failed = req ? req->name : in->requested;
        failures = req ? req->failures : 0;
        ret->root = newest_candidate(in, true);
        if (!ret->root)
                ret->root = newest_candidate(in, false);
        ret->fallback = ret->root != NULL;
        ret->mark_entry_bad = in->counting_loader;
        fill_message(in, ret, req, failures);
        return ret->root ? 0 : -ENOENT;
}
