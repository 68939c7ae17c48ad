/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-release's decisions: the schedules, raise, hold, halt; the reports counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "reports.h"
#include "step.h"

#define HOUR 3600
#define DAY (24 * HOUR)

static void test_schedules(void **state) {
        assert_int_equal(step_schedule(TIER_SECURITY, 0), 100);
        assert_int_equal(step_schedule(TIER_CRITICAL, 0), 10);
        assert_int_equal(step_schedule(TIER_CRITICAL, 16 * HOUR - 1), 10);
        assert_int_equal(step_schedule(TIER_CRITICAL, 16 * HOUR), 25);
        assert_int_equal(step_schedule(TIER_CRITICAL, 32 * HOUR), 50);
        assert_int_equal(step_schedule(TIER_CRITICAL, 47 * HOUR), 50);
        assert_int_equal(step_schedule(TIER_CRITICAL, 48 * HOUR), 100);
        assert_int_equal(step_schedule(TIER_REGULAR, 0), 10);
        assert_int_equal(step_schedule(TIER_REGULAR, 4 * DAY), 10);
        assert_int_equal(step_schedule(TIER_REGULAR, 5 * DAY), 25);
        assert_int_equal(step_schedule(TIER_REGULAR, 10 * DAY), 50);
        assert_int_equal(step_schedule(TIER_REGULAR, 14 * DAY), 100);
        assert_int_equal(step_schedule(TIER_MAJOR, 14 * DAY), 100);
        /* A start in the future (a wrong clock on the release machine): nothing yet. */
        assert_int_equal(step_schedule(TIER_REGULAR, -1), 0);
}

static struct step_input input(enum update_tier tier, unsigned percent, int64_t elapsed, unsigned taken,
                               unsigned failed) {
        return (struct step_input) { .tier = tier,
                                     .percent = percent,
                                     .started = 1000000,
                                     .now = 1000000 + elapsed,
                                     .taken = taken,
                                     .failed = failed,
                                     .threshold = STEP_DEFAULT_THRESHOLD,
                                     .min_reports = STEP_DEFAULT_MIN_REPORTS };
}

static void test_raise(void **state) {
        struct step_result r;
        struct step_input in = input(TIER_CRITICAL, 10, 17 * HOUR, 40, 1);
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_RAISE);
        assert_int_equal(r.percent, 25);
        assert_false(r.paused);
        assert_string_equal(r.reason, "raise: the critical schedule is at 25 % (1 of 40 machines failed)");
        assert_string_equal(step_action_name(r.action), "raise");
        /* A step missed: straight to where the schedule is. */
        in = input(TIER_REGULAR, 10, 15 * DAY, 0, 0);
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_RAISE);
        assert_int_equal(r.percent, 100);
}

static void test_hold(void **state) {
        struct step_result r;
        struct step_input in = input(TIER_REGULAR, 25, 6 * DAY, 100, 2);
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_HOLD);
        assert_int_equal(r.percent, 25);
        assert_string_equal(r.reason, "hold: 25 % is where the regular schedule is");
        /* Set higher by hand: never lowered by the schedule. */
        in = input(TIER_REGULAR, 75, 0, 0, 0);
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_HOLD);
        assert_int_equal(r.percent, 75);
        /* Paused by a person: only a person resumes. */
        in = input(TIER_CRITICAL, 10, 48 * HOUR, 0, 0);
        in.paused = true;
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_HOLD);
        assert_int_equal(r.percent, 10);
        assert_true(r.paused);
}

static void test_halt(void **state) {
        struct step_result r;
        struct step_input in = input(TIER_CRITICAL, 25, 40 * HOUR, 40, 3);
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_HALT);
        assert_int_equal(r.percent, 0);
        assert_true(r.paused);
        assert_string_equal(r.reason, "halt: 3 of 40 machines that took it rolled back (more than 5 %)");
        /* Exactly at the threshold: not past it. */
        in = input(TIER_CRITICAL, 25, 40 * HOUR, 40, 2);
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_RAISE);
        /* Too few machines to judge: 1 of 2 says nothing yet. */
        in = input(TIER_CRITICAL, 10, HOUR, 2, 1);
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_HOLD);
        /* Halted before: held there. */
        in = input(TIER_CRITICAL, 0, 40 * HOUR, 40, 3);
        in.paused = true;
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_HOLD);
        assert_int_equal(r.percent, 0);
        /* A security release halts too. */
        in = input(TIER_SECURITY, 100, 0, 20, 5);
        step_decide(&in, &r);
        assert_int_equal(r.action, STEP_HALT);
}

static void test_reports(void **state) {
        static const char reports[] = "{\"id\":\"a\",\"version\":\"2\",\"outcome\":\"taken\"}\n"
                                      "{\"id\":\"a\",\"version\":\"2\",\"outcome\":\"applied\"}\n"
                                      "{\"id\":\"a\",\"version\":\"2\",\"outcome\":\"rolled-back\"}\n"
                                      "{\"id\":\"a\",\"version\":\"2\",\"outcome\":\"rolled-back\"}\n"
                                      "{\"id\":\"b\",\"version\":\"2\",\"outcome\":\"booted-good\"}\n"
                                      "{\"id\":\"c\",\"version\":\"1\",\"outcome\":\"rolled-back\"}\n"
                                      "\n"
                                      "not json\n"
                                      "{\"id\":\"d\",\"version\":\"2\",\"outcome\":\"exploded\"}\n"
                                      "{\"version\":\"2\",\"outcome\":\"taken\"}\n"
                                      "{\"id\":\"e\",\"version\":\"2\",\"outcome\":\"taken\"}";
        unsigned taken, failed, skipped;
        assert_int_equal(reports_count(reports, "2", &taken, &failed, &skipped), 0);
        assert_int_equal(taken, 3);
        assert_int_equal(failed, 1);
        assert_int_equal(skipped, 3);
        assert_int_equal(reports_count("", "2", &taken, &failed, NULL), 0);
        assert_int_equal(taken, 0);
        assert_int_equal(failed, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_schedules), cmocka_unit_test(test_raise),   cmocka_unit_test(test_hold),
                cmocka_unit_test(test_halt),      cmocka_unit_test(test_reports),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
