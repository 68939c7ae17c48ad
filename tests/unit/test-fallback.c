/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "entry.h"
#include "fallback.h"
#include "ledger.h"
#include "util.h"

#define T0 1732400000u

/* The roots of a machine that took an update: the factory root, last month's, the current one
 * and the update. */
static struct fallback_root roots[] = {
        { .name = "@root-factory", .read_only = true, .generation = 10 },
        { .name = "@root-2024-11-01", .read_only = true, .generation = 50 },
        { .name = "@root-current", .read_only = true, .generation = 100 },
        { .name = "@root-new", .read_only = true, .generation = 200 },
};

static void reset_roots(void) {
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                roots[i].read_only = true;
                roots[i].state = ROOT_UNTESTED;
                roots[i].failures = 0;
                roots[i].entry_spent = false;
                roots[i].failure_note = NULL;
        }
}

static struct fallback_root *root(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                if (streq(roots[i].name, name))
                        return &roots[i];
        fail_msg("no root %s", name);
        return NULL;
}

/* A boot of root as koompi-init and the running system would record it. */
static void boot(struct ledger *l, const char *name, enum ledger_stage stage) {
        ledger_close_stale(l);
        assert_int_equal(ledger_append_boot(l, T0 + l->n_boots * 60, NULL, name, NULL, NULL, NULL), 0);
        assert_int_equal(ledger_set_stage(l, stage, NULL), 0);
}

static void states_from(const struct ledger *l, unsigned tries) {
        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                fallback_root_from_ledger(&roots[i], l, tries);
}

static int choose(const char *requested, unsigned tries, bool counting, struct fallback_choice *c) {
        struct fallback_input in = {
                .requested = requested,
                .roots = roots,
                .n_roots = ELEMENTSOF(roots),
                .tries = tries,
                .counting_loader = counting,
        };
        return fallback_choose(&in, c);
}

/* The history of most tests: the factory root and the current one booted fine. */
static void history(struct ledger *l) {
        ledger_init(l);
        reset_roots();
        boot(l, "@root-factory", LEDGER_STAGE_GOOD);
        boot(l, "@root-2024-11-01", LEDGER_STAGE_GOOD);
        boot(l, "@root-current", LEDGER_STAGE_GOOD);
}

static void test_three_failures(void **state) {
        struct ledger l;
        struct fallback_choice c;

        history(&l);
        /* First and second failure of the update: it is still tried. */
        for (int i = 1; i <= 2; i++) {
                boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
                ledger_close_stale(&l);
                states_from(&l, 0);
                assert_int_equal(root("@root-new")->state, ROOT_IN_TRIAL);
                assert_int_equal(root("@root-new")->failures, (unsigned)i);
                assert_int_equal(choose("@root-new", 0, false, &c), 0);
                assert_string_equal(c.root->name, "@root-new");
                assert_false(c.fallback);
                assert_null(c.failed);
                assert_int_equal(c.reason, FALLBACK_REASON_NONE);
                assert_string_equal(c.message, "");
        }
        /* The third: the previous good root is booted instead. */
        boot(&l, "@root-new", LEDGER_STAGE_UNLOCKED);
        ledger_close_stale(&l);
        states_from(&l, 0);
        assert_int_equal(root("@root-new")->state, ROOT_BAD);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-current");
        assert_true(c.fallback);
        assert_string_equal(c.failed, "@root-new");
        assert_int_equal(c.reason, FALLBACK_REASON_FAILED);
        assert_false(c.mark_entry_bad);
        assert_string_equal(c.message,
                            "@root-new failed 3 boots in a row; booted @root-current, the last good root");

        /* With more tries allowed it would still be tried. */
        states_from(&l, 4);
        assert_int_equal(choose("@root-new", 4, false, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        assert_false(c.fallback);
        /* With fewer, the fallback came earlier. */
        states_from(&l, 1);
        assert_int_equal(choose("@root-new", 1, false, &c), 0);
        assert_string_equal(c.root->name, "@root-current");
        ledger_free(&l);
}

static void test_abandoned_dont_count(void **state) {
        struct ledger l;
        struct fallback_choice c;

        history(&l);
        boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
        /* A pupil walks away from the passphrase prompt, again and again. */
        for (int i = 0; i < 5; i++)
                boot(&l, "@root-new", LEDGER_STAGE_STARTED);
        boot(&l, "@root-new", LEDGER_STAGE_ROOT_MOUNTED);
        boot(&l, "@root-new", LEDGER_STAGE_STARTED);
        ledger_close_stale(&l);
        states_from(&l, 0);
        assert_int_equal(root("@root-new")->failures, 2);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        assert_false(c.fallback);

        /* Boots of another root in between don't reset the count either. */
        boot(&l, "@root-current", LEDGER_STAGE_GOOD);
        boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
        ledger_close_stale(&l);
        states_from(&l, 0);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-current");
        assert_true(c.fallback);
        ledger_free(&l);
}

static void test_stays_skipped(void **state) {
        struct ledger l;
        struct fallback_choice c;
        uint64_t first_alert, seq;

        history(&l);
        for (int i = 0; i < 3; i++)
                boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
        ledger_close_stale(&l);
        states_from(&l, 0);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_true(c.fallback);
        assert_int_equal(ledger_add_alert(&l, T0, "fallback", c.message, &first_alert), 1);
        boot(&l, c.root->name, LEDGER_STAGE_GOOD);

        /* The config still asks for @root-new: many later boots, each one skips it without
         * trying it again, and the alert is not repeated. */
        for (int i = 0; i < 250; i++) {
                ledger_close_stale(&l);
                states_from(&l, 0);
                assert_int_equal(choose("@root-new", 0, false, &c), 0);
                assert_string_equal(c.root->name, "@root-current");
                assert_true(c.fallback);
                assert_int_equal(ledger_add_alert(&l, T0, "fallback", c.message, &seq), 0);
                assert_int_equal(seq, first_alert);
                boot(&l, c.root->name, LEDGER_STAGE_GOOD);
                /* Through the file, trimmed, as on a real machine. */
                if (i % 50 == 0) {
                        char *text = NULL;
                        size_t len;
                        ledger_trim(&l);
                        assert_int_equal(ledger_format(&l, &text, &len), 0);
                        assert_int_equal(ledger_parse(&l, text, len), 0);
                        free(text);
                }
        }
        ledger_trim(&l);
        assert_int_equal(l.n_boots, LEDGER_MAX_BOOTS_DEFAULT);
        states_from(&l, 0);
        assert_int_equal(root("@root-new")->state, ROOT_BAD);

        /* The admin marks it again: it gets its tries back. */
        assert_int_equal(ledger_mark_root(&l, T0, "@root-new", LEDGER_MARK_REARM, "fixed"), 0);
        states_from(&l, 0);
        assert_int_equal(root("@root-new")->state, ROOT_UNTESTED);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        assert_false(c.fallback);

        /* Or blesses it by hand. */
        for (int i = 0; i < 3; i++)
                boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
        ledger_close_stale(&l);
        states_from(&l, 0);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_true(c.fallback);
        assert_int_equal(ledger_mark_root(&l, T0, "@root-new", LEDGER_MARK_GOOD, NULL), 0);
        states_from(&l, 0);
        assert_int_equal(root("@root-new")->state, ROOT_GOOD);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        assert_false(c.fallback);

        /* A root that was good once is not rolled back from (as with systemd's blessing). */
        for (int i = 0; i < 5; i++)
                boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
        ledger_close_stale(&l);
        states_from(&l, 0);
        assert_int_equal(root("@root-new")->failures, 5);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        ledger_free(&l);
}

static void test_marked_bad(void **state) {
        struct ledger l;
        struct fallback_choice c;

        history(&l);
        /* The health check failed on the first boot: bad at once, like "+0". */
        boot(&l, "@root-new", LEDGER_STAGE_MARKED_BAD);
        ledger_close_stale(&l);
        states_from(&l, 0);
        assert_int_equal(root("@root-new")->state, ROOT_BAD);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-current");
        assert_int_equal(c.reason, FALLBACK_REASON_MARKED_BAD);
        assert_string_equal(c.message, "@root-new was marked bad; booted @root-current, the last good root");

        /* The admin marks the current root bad too: the newest good one left is taken. */
        assert_int_equal(ledger_mark_root(&l, T0, "@root-current", LEDGER_MARK_BAD, NULL), 0);
        states_from(&l, 0);
        assert_int_equal(choose("@root-current", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-2024-11-01");
        assert_string_equal(c.failed, "@root-current");
        assert_string_equal(c.message,
                            "@root-current was marked bad; booted @root-2024-11-01, the last good root");
        ledger_free(&l);
}

static void test_candidates(void **state) {
        struct fallback_choice c;

        reset_roots();
        root("@root-new")->state = ROOT_BAD;
        root("@root-new")->failures = 3;

        /* Known good beats newer but untested. */
        root("@root-factory")->state = ROOT_GOOD;
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-factory");
        assert_string_equal(c.message,
                            "@root-new failed 3 boots in a row; booted @root-factory, the last good root");

        /* Without any good root: the newest not known bad. */
        root("@root-factory")->state = ROOT_UNTESTED;
        root("@root-current")->state = ROOT_IN_TRIAL;
        root("@root-current")->failures = 3; /* out of tries by the count */
        root("@root-2024-11-01")->state = ROOT_IN_TRIAL;
        root("@root-2024-11-01")->failures = 1;
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-2024-11-01");
        assert_true(c.fallback);
        assert_string_equal(c.message,
                            "@root-new failed 3 boots in a row; booted @root-2024-11-01, not yet known good");

        /* Writable roots are never fallbacks, however good. */
        root("@root-current")->state = ROOT_GOOD;
        root("@root-current")->read_only = false;
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-2024-11-01");

        /* Equal generations: ordered by name. */
        reset_roots();
        root("@root-new")->state = ROOT_BAD;
        root("@root-factory")->state = ROOT_GOOD;
        root("@root-factory")->generation = 50;
        root("@root-2024-11-01")->state = ROOT_GOOD;
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-factory");
        root("@root-factory")->generation = 10;
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-2024-11-01");
        /* The generation decides before the name. */
        root("@root-current")->state = ROOT_GOOD;
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-current");
        assert_string_equal(c.message, "@root-new was marked bad; booted @root-current, the last good root");
}

static void test_unbootable_request(void **state) {
        struct fallback_choice c;

        reset_roots();
        root("@root-current")->state = ROOT_GOOD;

        assert_int_equal(choose("@root-typo", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-current");
        assert_true(c.fallback);
        assert_int_equal(c.reason, FALLBACK_REASON_MISSING);
        assert_string_equal(c.failed, "@root-typo");
        assert_string_equal(c.message, "@root-typo does not exist; booted @root-current, the last good root");

        /* An update still being written (not yet read-only) is not booted, even if good. */
        root("@root-new")->read_only = false;
        root("@root-new")->state = ROOT_GOOD;
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.root->name, "@root-current");
        assert_int_equal(c.reason, FALLBACK_REASON_NOT_READ_ONLY);
        assert_string_equal(c.message,
                            "@root-new is not read-only; booted @root-current, the last good root");

        struct fallback_input in = { .requested = "", .roots = roots, .n_roots = ELEMENTSOF(roots) };
        assert_int_equal(fallback_choose(&in, &c), -EINVAL);
        in.requested = NULL;
        assert_int_equal(fallback_choose(&in, &c), -EINVAL);
        assert_int_equal(fallback_choose(NULL, &c), -EINVAL);
}

static void test_nothing_bootable(void **state) {
        struct fallback_choice c;

        reset_roots();
        root("@root-new")->state = ROOT_BAD;
        root("@root-new")->failures = 3;
        root("@root-current")->state = ROOT_BAD;
        root("@root-2024-11-01")->failures = 3;
        root("@root-2024-11-01")->state = ROOT_IN_TRIAL;
        root("@root-factory")->read_only = false;
        root("@root-factory")->state = ROOT_GOOD;
        assert_int_equal(choose("@root-new", 0, false, &c), -ENOENT);
        assert_null(c.root);
        assert_false(c.fallback);
        assert_string_equal(c.failed, "@root-new");
        assert_string_equal(c.message, "@root-new failed 3 boots in a row; no other root can be booted");

        /* No roots at all. */
        struct fallback_input in = { .requested = "@root-current" };
        assert_int_equal(fallback_choose(&in, &c), -ENOENT);
        assert_string_equal(c.message, "@root-current does not exist; no other root can be booted");

        /* A single good root asked for is booted even when alone. */
        struct fallback_root only = { .name = "@root-current", .read_only = true, .state = ROOT_GOOD };
        in.roots = &only;
        in.n_roots = 1;
        assert_int_equal(fallback_choose(&in, &c), 0);
        assert_ptr_equal(c.root, &only);
}

static void entry_state(const char *name, const char *filename) {
        struct entry_name e;
        assert_int_equal(entry_name_parse(filename, ".conf", &e), 0);
        fallback_root_from_entry(root(name), &e);
}

static void test_counting_loader(void **state) {
        struct fallback_choice c;

        reset_roots();
        entry_state("@root-factory", "koompi-root-factory.conf");
        entry_state("@root-2024-11-01", "koompi-root-2024-11-01.conf");
        entry_state("@root-current", "koompi-root-current.conf");
        entry_state("@root-new", "koompi-root-new+2-1.conf");
        assert_int_equal(root("@root-new")->state, ROOT_IN_TRIAL);
        assert_int_equal(root("@root-current")->state, ROOT_GOOD);

        /* On trial: booted, nothing to report. */
        assert_int_equal(choose("@root-new", 0, true, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        assert_false(c.fallback);

        /* Its tries are spent and systemd-boot started the current root: a fallback, reported. */
        entry_state("@root-new", "koompi-root-new+0-3.conf");
        assert_true(root("@root-new")->entry_spent);
        assert_int_equal(root("@root-new")->state, ROOT_BAD);
        assert_int_equal(choose("@root-current", 0, true, &c), 0);
        assert_string_equal(c.root->name, "@root-current");
        assert_true(c.fallback);
        assert_false(c.mark_entry_bad);
        assert_string_equal(c.failed, "@root-new");
        assert_int_equal(c.reason, FALLBACK_REASON_ENTRY_SPENT);
        assert_string_equal(c.message,
                            "@root-new failed 3 boots in a row; booted @root-current, the last good root");

        /* Marked bad right away ("+0"): no failure count to give. */
        entry_state("@root-new", "koompi-root-new+0.conf");
        assert_int_equal(choose("@root-current", 0, true, &c), 0);
        assert_string_equal(c.message,
                            "@root-new used up its boot tries; booted @root-current, the last good root");

        /* A spent entry chosen anyway (a pinned default): not second-guessed. */
        assert_int_equal(choose("@root-new", 0, true, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        assert_false(c.fallback);

        /* The ledger's count does not override the loader's. */
        entry_state("@root-new", "koompi-root-new+1-2.conf");
        root("@root-new")->failures = 7;
        assert_int_equal(choose("@root-new", 0, true, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        assert_false(c.fallback);

        /* An older spent root is no news: the newest roots are fine. */
        entry_state("@root-new", "koompi-root-new.conf");
        entry_state("@root-2024-11-01", "koompi-root-2024-11-01+0-3.conf");
        assert_int_equal(choose("@root-new", 0, true, &c), 0);
        assert_false(c.fallback);
        assert_int_equal(choose("@root-current", 0, true, &c), 0);
        assert_false(c.fallback);
        /* ... but booting older than it is. */
        assert_int_equal(choose("@root-factory", 0, true, &c), 0);
        assert_string_equal(c.root->name, "@root-factory");
        assert_true(c.fallback);
        assert_string_equal(c.failed, "@root-2024-11-01");
        assert_string_equal(c.message,
                            "@root-2024-11-01 failed 3 boots in a row; booted @root-factory, a good root");

        /* A root that cannot be booted at all is replaced, and its entry must be marked bad. */
        entry_state("@root-2024-11-01", "koompi-root-2024-11-01.conf");
        assert_int_equal(choose("@root-gone", 0, true, &c), 0);
        assert_string_equal(c.root->name, "@root-new");
        assert_true(c.fallback);
        assert_true(c.mark_entry_bad);
        assert_int_equal(c.reason, FALLBACK_REASON_MISSING);
        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                roots[i].read_only = false;
        assert_int_equal(choose("@root-new", 0, true, &c), -ENOENT);
        assert_true(c.mark_entry_bad);
        assert_int_equal(c.reason, FALLBACK_REASON_NOT_READ_ONLY);
}

/* The failed boot's note (the health check that failed) is in the message, under either count. */
static void test_failure_note(void **state) {
        static const char why[] = "check `home-mounted` failed: /home is not mounted";
        struct ledger l;
        struct fallback_choice c;

        history(&l);
        boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
        assert_int_equal(ledger_set_stage(&l, LEDGER_STAGE_MARKED_BAD, why), 0);
        states_from(&l, 0);
        assert_string_equal(root("@root-new")->failure_note, why);
        assert_null(root("@root-current")->failure_note);
        assert_int_equal(choose("@root-new", 0, false, &c), 0);
        assert_string_equal(c.message,
                            "@root-new was marked bad: check `home-mounted` failed: /home is not "
                            "mounted; booted @root-current, the last good root");

        /* Under systemd-boot: its counter spent, the ledger says why. */
        for (int i = 0; i < 2; i++) {
                boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
                assert_int_equal(ledger_set_stage(&l, LEDGER_STAGE_MARKED_BAD, i ? why : "other"), 0);
        }
        entry_state("@root-new", "koompi-root-new+0-3.conf");
        fallback_root_note_from_ledger(root("@root-new"), &l);
        assert_int_equal(choose("@root-current", 0, true, &c), 0);
        assert_string_equal(c.message,
                            "@root-new failed 3 boots in a row: check `home-mounted` failed: /home "
                            "is not mounted; booted @root-current, the last good root");

        /* A failure without a note, after the noted ones, gives no stale reason. */
        boot(&l, "@root-new", LEDGER_STAGE_SWITCHED);
        ledger_close_stale(&l);
        fallback_root_note_from_ledger(root("@root-new"), &l);
        assert_null(root("@root-new")->failure_note);
        /* A good boot forgets the failures and their reasons. */
        boot(&l, "@root-new", LEDGER_STAGE_GOOD);
        fallback_root_note_from_ledger(root("@root-new"), &l);
        assert_null(root("@root-new")->failure_note);
        ledger_free(&l);
}

static void test_states(void **state) {
        struct ledger l;
        struct fallback_root r = { .name = "@r", .read_only = true };

        ledger_init(&l);
        fallback_root_from_ledger(&r, &l, 0);
        assert_int_equal(r.state, ROOT_UNTESTED);
        boot(&l, "@r", LEDGER_STAGE_STARTED);
        ledger_close_stale(&l);
        fallback_root_from_ledger(&r, &l, 0);
        assert_int_equal(r.state, ROOT_UNTESTED);
        boot(&l, "@r", LEDGER_STAGE_SWITCHED);
        ledger_close_stale(&l);
        fallback_root_from_ledger(&r, &l, 0);
        assert_int_equal(r.state, ROOT_IN_TRIAL);
        assert_int_equal(r.failures, 1);
        fallback_root_from_ledger(&r, &l, 1);
        assert_int_equal(r.state, ROOT_BAD);
        assert_true(fallback_root_is_bad(&r, 1, false));
        r.state = ROOT_IN_TRIAL;
        assert_true(fallback_root_is_bad(&r, 1, false));
        assert_false(fallback_root_is_bad(&r, 1, true));
        assert_false(fallback_root_is_bad(&r, 0, false));
        boot(&l, "@r", LEDGER_STAGE_GOOD);
        fallback_root_from_ledger(&r, &l, 0);
        assert_int_equal(r.state, ROOT_GOOD);
        assert_int_equal(r.failures, 0);
        ledger_free(&l);

        struct entry_name e;
        assert_int_equal(entry_name_parse("koompi-r+3.conf", ".conf", &e), 0);
        fallback_root_from_entry(&r, &e);
        assert_int_equal(r.state, ROOT_UNTESTED);
        assert_int_equal(r.failures, 0);
        assert_false(r.entry_spent);
        assert_int_equal(entry_counter_bump(&e), 0);
        fallback_root_from_entry(&r, &e);
        assert_int_equal(r.state, ROOT_IN_TRIAL);
        assert_int_equal(r.failures, 1);
        entry_counter_mark_bad(&e);
        fallback_root_from_entry(&r, &e);
        assert_int_equal(r.state, ROOT_BAD);
        assert_true(r.entry_spent);
        entry_counter_bless(&e);
        fallback_root_from_entry(&r, &e);
        assert_int_equal(r.state, ROOT_GOOD);
        assert_false(r.entry_spent);

        assert_string_equal(root_state_to_string(ROOT_IN_TRIAL), "in-trial");
        assert_string_equal(fallback_reason_to_string(FALLBACK_REASON_ENTRY_SPENT), "entry-spent");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_three_failures),   cmocka_unit_test(test_abandoned_dont_count),
                cmocka_unit_test(test_stays_skipped),    cmocka_unit_test(test_marked_bad),
                cmocka_unit_test(test_candidates),       cmocka_unit_test(test_unbootable_request),
                cmocka_unit_test(test_nothing_bootable), cmocka_unit_test(test_counting_loader),
                cmocka_unit_test(test_failure_note),     cmocka_unit_test(test_states),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
