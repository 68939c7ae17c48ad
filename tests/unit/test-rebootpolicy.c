/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* [update] reboot: its forms, and when an applied update restarts the machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "rebootpolicy.h"

#define HM(h, m) ((h)*60 + (m))

static void test_parse(void **state) {
        struct reboot_policy p;
        assert_int_equal(reboot_policy_parse("never", &p), 0);
        assert_int_equal(p.mode, REBOOT_MODE_NEVER);
        assert_int_equal(reboot_policy_parse("idle", &p), 0);
        assert_int_equal(p.mode, REBOOT_MODE_IDLE);
        assert_int_equal(reboot_policy_parse("22:30-05:00", &p), 0);
        assert_int_equal(p.mode, REBOOT_MODE_WINDOW);
        assert_int_equal(p.from, HM(22, 30));
        assert_int_equal(p.to, HM(5, 0));
        assert_int_equal(reboot_policy_parse("00:00-23:59", &p), 0);
        const char *bad[] = { "",           "always",       "Never",        "24:00-01:00", "01:60-02:00",
                              "1:00-2:00",  "01:00-02:00 ", "01:00--02:00", "01:00-01:00", "01:00",
                              "aa:bb-cc:dd" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                p = (struct reboot_policy) { .mode = REBOOT_MODE_IDLE };
                assert_int_equal(reboot_policy_parse(bad[i], &p), -EINVAL);
                assert_int_equal(p.mode, REBOOT_MODE_IDLE); /* untouched */
        }
}

static void test_window(void **state) {
        assert_true(reboot_in_window(HM(1, 0), HM(5, 0), HM(1, 0)));
        assert_true(reboot_in_window(HM(1, 0), HM(5, 0), HM(4, 59)));
        assert_false(reboot_in_window(HM(1, 0), HM(5, 0), HM(5, 0)));
        assert_false(reboot_in_window(HM(1, 0), HM(5, 0), HM(0, 59)));
        /* Wrapping midnight. */
        assert_true(reboot_in_window(HM(22, 0), HM(5, 0), HM(23, 59)));
        assert_true(reboot_in_window(HM(22, 0), HM(5, 0), 0));
        assert_true(reboot_in_window(HM(22, 0), HM(5, 0), HM(4, 59)));
        assert_false(reboot_in_window(HM(22, 0), HM(5, 0), HM(5, 0)));
        assert_false(reboot_in_window(HM(22, 0), HM(5, 0), HM(12, 0)));
        assert_false(reboot_in_window(HM(22, 0), HM(5, 0), HM(21, 59)));
}

static struct reboot_decision decide(const char *policy, struct reboot_facts f) {
        struct reboot_policy p;
        struct reboot_decision d;
        assert_int_equal(reboot_policy_parse(policy, &p), 0);
        reboot_decide(&p, &f, &d);
        return d;
}

static void test_never(void **state) {
        struct reboot_decision d = decide(
                "never", (struct reboot_facts) { .clock_trusted = true, .idle_known = true, .idle = true });
        assert_int_equal(d.verdict, REBOOT_NOT);
        assert_non_null(strstr(d.reason, "the update boots next time"));
}

static void test_idle(void **state) {
        struct reboot_decision d = decide("idle", (struct reboot_facts) { .idle_known = true, .idle = true });
        assert_int_equal(d.verdict, REBOOT_NOW); /* the clock does not matter */
        assert_string_equal(d.reason, "restarting: no user session is active");
        d = decide("idle",
                   (struct reboot_facts) { .clock_trusted = true, .idle_known = true, .idle = false });
        assert_int_equal(d.verdict, REBOOT_LATER);
        assert_string_equal(d.reason, "waiting: a user session is active");
        /* logind did not answer: nobody is known to be away. */
        d = decide("idle", (struct reboot_facts) { .clock_trusted = true, .idle = true });
        assert_int_equal(d.verdict, REBOOT_LATER);
        assert_non_null(strstr(d.reason, "could not be listed"));
}

static void test_window_decisions(void **state) {
        struct reboot_decision d =
                decide("22:00-05:00", (struct reboot_facts) { .clock_trusted = true, .minute = HM(23, 15) });
        assert_int_equal(d.verdict, REBOOT_NOW);
        assert_string_equal(d.reason, "restarting: 23:15 is inside the window 22:00-05:00");
        /* A session does not hold back a window the admin chose. */
        d = decide("22:00-05:00",
                   (struct reboot_facts) { .clock_trusted = true, .minute = HM(2, 0), .idle_known = true });
        assert_int_equal(d.verdict, REBOOT_NOW);
        d = decide("22:00-05:00", (struct reboot_facts) { .clock_trusted = true, .minute = HM(10, 5) });
        assert_int_equal(d.verdict, REBOOT_LATER);
        assert_string_equal(d.reason, "waiting: 10:05 is outside the window 22:00-05:00");
        /* A clock that went back (a dead RTC battery): the hour means nothing. */
        d = decide("22:00-05:00", (struct reboot_facts) { .clock_trusted = false, .minute = HM(23, 0) });
        assert_int_equal(d.verdict, REBOOT_LATER);
        assert_non_null(strstr(d.reason, "the clock is older"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_never),
                cmocka_unit_test(test_idle),
                cmocka_unit_test(test_window_decisions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
