/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one rule for a root's state, across every combination of evidence that matters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fallback.h"
#include "ledger.h"
#include "rootstate.h"
#include "util.h"

/* What the ledger says: nothing, good, marked/ended bad, failures without good, failures after
 * good. */
enum ledger_kind { L_NONE, L_EMPTY, L_GOOD, L_BAD, L_FAIL1, L_FAIL3, L_GOOD_FAIL3, L_BAD_GOOD };

struct row {
        const char *what;
        const char *entry; /* its entry file, NULL for none */
        enum ledger_kind ledger;
        unsigned tries;
        enum root_state state;
        enum root_state_why why;
        unsigned failures;
        int tries_left;
        bool spent;
};

static const struct row rows[] = {
        /* Nothing known. */
        { "no entry, no ledger", NULL, L_NONE, 0, ROOT_UNTESTED, ROOT_WHY_NOTHING, 0, -1, false },
        { "no entry, ledger silent", NULL, L_EMPTY, 0, ROOT_UNTESTED, ROOT_WHY_LEDGER, 0, 3, false },
        { "no entry, ledger silent, 5 tries", NULL, L_EMPTY, 5, ROOT_UNTESTED, ROOT_WHY_LEDGER, 0, 5, false },
        /* The ledger alone (koompi-init without a counting loader, the recovery menu). */
        { "ledger good", NULL, L_GOOD, 0, ROOT_GOOD, ROOT_WHY_LEDGER, 0, -1, false },
        { "ledger bad", NULL, L_BAD, 0, ROOT_BAD, ROOT_WHY_LEDGER_BAD, 0, -1, false },
        { "ledger one failure", NULL, L_FAIL1, 0, ROOT_IN_TRIAL, ROOT_WHY_LEDGER, 1, 2, false },
        { "ledger out of tries", NULL, L_FAIL3, 0, ROOT_BAD, ROOT_WHY_LEDGER_BAD, 3, -1, false },
        { "ledger 3 failures of 5 tries", NULL, L_FAIL3, 5, ROOT_IN_TRIAL, ROOT_WHY_LEDGER, 3, 2, false },
        { "ledger good, then failures", NULL, L_GOOD_FAIL3, 0, ROOT_GOOD, ROOT_WHY_LEDGER, 3, -1, false },
        { "ledger good, then marked bad", NULL, L_BAD_GOOD, 0, ROOT_BAD, ROOT_WHY_LEDGER_BAD, 0, -1, false },
        /* A counted entry: its counter is the count, whatever the ledger says. */
        { "fresh +3", "koompi-root-x+3.conf", L_NONE, 0, ROOT_UNTESTED, ROOT_WHY_ENTRY_COUNTER, 0, 3, false },
        { "fresh +3, ledger bad", "koompi-root-x+3.conf", L_BAD, 0, ROOT_UNTESTED, ROOT_WHY_ENTRY_COUNTER, 0,
          3, false },
        { "fresh +3, ledger good", "koompi-root-x+3.conf", L_GOOD, 0, ROOT_UNTESTED, ROOT_WHY_ENTRY_COUNTER,
          0, 3, false },
        { "in trial +1-2", "koompi-root-x+1-2.conf", L_NONE, 0, ROOT_IN_TRIAL, ROOT_WHY_ENTRY_COUNTER, 2, 1,
          false },
        { "in trial +1-2, ledger out of tries", "koompi-root-x+1-2.conf", L_FAIL3, 0, ROOT_IN_TRIAL,
          ROOT_WHY_ENTRY_COUNTER, 2, 1, false },
        { "spent +0-3", "koompi-root-x+0-3.conf", L_NONE, 0, ROOT_BAD, ROOT_WHY_ENTRY_COUNTER, 3, 0, true },
        { "spent +0-3, ledger good", "koompi-root-x+0-3.conf", L_GOOD, 0, ROOT_BAD, ROOT_WHY_ENTRY_COUNTER, 3,
          0, true },
        { "marked bad +0", "koompi-root-x+0.conf", L_EMPTY, 0, ROOT_BAD, ROOT_WHY_ENTRY_COUNTER, 0, 0, true },
        /* A blessed entry (no counter): good unless the ledger knows it bad. */
        { "blessed", "koompi-root-x.conf", L_NONE, 0, ROOT_GOOD, ROOT_WHY_ENTRY_BLESSED, 0, -1, false },
        { "blessed, ledger silent", "koompi-root-x.conf", L_EMPTY, 0, ROOT_GOOD, ROOT_WHY_ENTRY_BLESSED, 0,
          -1, false },
        { "blessed, ledger one failure", "koompi-root-x.conf", L_FAIL1, 0, ROOT_GOOD, ROOT_WHY_ENTRY_BLESSED,
          1, -1, false },
        { "blessed, ledger marked bad", "koompi-root-x.conf", L_BAD, 0, ROOT_BAD, ROOT_WHY_LEDGER_BAD, 0, -1,
          false },
        { "blessed, ledger out of tries", "koompi-root-x.conf", L_FAIL3, 0, ROOT_BAD, ROOT_WHY_LEDGER_BAD, 3,
          -1, false },
        { "blessed, ledger good then failures", "koompi-root-x.conf", L_GOOD_FAIL3, 0, ROOT_GOOD,
          ROOT_WHY_ENTRY_BLESSED, 3, -1, false },
};

static struct ledger_root_status ledger_of(enum ledger_kind k) {
        switch (k) {
        case L_GOOD:
                return (struct ledger_root_status) { .good = true, .boots = 1 };
        case L_BAD:
                return (struct ledger_root_status) { .bad = true };
        case L_FAIL1:
                return (struct ledger_root_status) { .failures = 1, .boots = 1 };
        case L_FAIL3:
                return (struct ledger_root_status) { .failures = 3, .boots = 3 };
        case L_GOOD_FAIL3:
                return (struct ledger_root_status) { .good = true, .failures = 3, .boots = 4 };
        case L_BAD_GOOD:
                return (struct ledger_root_status) { .good = true, .bad = true };
        default:
                return (struct ledger_root_status) {};
        }
}

static void test_table(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const struct row *t = &rows[i];
                struct entry_name e;
                struct ledger_root_status s = ledger_of(t->ledger);
                struct root_verdict v;

                if (t->entry)
                        assert_int_equal(entry_name_parse(t->entry, ".conf", &e), 0);
                struct root_evidence ev = { .entry = t->entry ? &e : NULL,
                                            .ledger = t->ledger == L_NONE ? NULL : &s,
                                            .tries = t->tries };
                assert_int_equal(root_state_decide(&ev, &v), 0);
                print_message("%s: %s from %s\n", t->what, root_state_to_string(v.state),
                              root_state_why_to_string(v.why));
                assert_int_equal(v.state, t->state);
                assert_int_equal(v.why, t->why);
                assert_int_equal(v.failures, t->failures);
                assert_int_equal(v.tries_left, t->tries_left);
                assert_int_equal(v.entry_spent, t->spent);
        }
}

static void test_invalid(void **state) {
        struct root_verdict v;
        struct root_evidence ev = {};
        assert_int_equal(root_state_decide(NULL, &v), -EINVAL);
        assert_int_equal(root_state_decide(&ev, NULL), -EINVAL);
}

static void test_strings(void **state) {
        assert_string_equal(root_state_to_string(ROOT_UNTESTED), "untested");
        assert_string_equal(root_state_to_string(ROOT_IN_TRIAL), "in-trial");
        assert_string_equal(root_state_to_string(ROOT_GOOD), "good");
        assert_string_equal(root_state_to_string(ROOT_BAD), "bad");
        assert_null(root_state_to_string(_ROOT_STATE_MAX));
        assert_string_equal(root_state_why_to_string(ROOT_WHY_ENTRY_COUNTER), "entry");
        assert_string_equal(root_state_why_to_string(ROOT_WHY_ENTRY_BLESSED), "entry");
        assert_string_equal(root_state_why_to_string(ROOT_WHY_LEDGER), "ledger");
        assert_string_equal(root_state_why_to_string(ROOT_WHY_LEDGER_BAD), "ledger");
        assert_string_equal(root_state_why_to_string(ROOT_WHY_NOTHING), "none");
        assert_null(root_state_why_to_string(_ROOT_WHY_MAX));
}

/* koompi-init's two ways in go through the same rule: the ledger alone, the entry alone. */
static void test_fallback_uses_rule(void **state) {
        struct fallback_root fr = { .name = "@root-x", .read_only = true };
        struct entry_name e;
        struct ledger l;

        assert_int_equal(entry_name_parse("koompi-root-x+0-3.conf", ".conf", &e), 0);
        fallback_root_from_entry(&fr, &e);
        assert_int_equal(fr.state, ROOT_BAD);
        assert_true(fr.entry_spent);
        assert_int_equal(fr.failures, 3);
        assert_int_equal(entry_name_parse("koompi-root-x.conf", ".conf", &e), 0);
        fallback_root_from_entry(&fr, &e);
        assert_int_equal(fr.state, ROOT_GOOD);
        assert_false(fr.entry_spent);

        ledger_init(&l);
        fallback_root_from_ledger(&fr, &l, 0);
        assert_int_equal(fr.state, ROOT_UNTESTED);
        assert_int_equal(ledger_mark_root(&l, 1732400000, "@root-x", LEDGER_MARK_BAD, NULL), 0);
        fallback_root_from_ledger(&fr, &l, 0);
        assert_int_equal(fr.state, ROOT_BAD);
        ledger_free(&l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_fallback_uses_rule),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
