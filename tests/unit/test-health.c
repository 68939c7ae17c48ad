/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>

#include "health.h"
#include "util.h"

#define EXITED(code) ((code) << 8)
#define KILLED(sig) (sig)

static void test_check_names(void **state) {
        static const struct {
                const char *name;
                bool check;
        } rows[] = {
                { "home-mounted", true },
                { "10-disk-space", true },
                { "check.sh", true },
                { ".hidden", false },
                { "x.pacnew", false },
                { "x.pacsave", false },
                { "x.dpkg-old", false },
                { "x.dpkg-dist", false },
                { "x~", false },
                { "x.bak", false },
                { "x.disabled", false },
                { ".x.swp", false },
                { "", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (health_is_check_name(rows[i].name) != rows[i].check)
                        fail_msg("%s: expected %d", rows[i].name, rows[i].check);
        assert_false(health_is_check_name(NULL));
}

static void test_sorted_required_first(void **state) {
        struct health_run run = { 0 };
        health_add(&run, "b", "/w/b", false, 1000);
        health_add(&run, "z", "/r/z", true, 1000);
        health_add(&run, "a", "/w/a", false, 1000);
        health_add(&run, "c", "/r/c", true, 1000);
        health_sort(&run);
        const char *want[] = { "c", "z", "a", "b" };
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(run.checks[i].name, want[i]);
        assert_true(run.checks[0].required && !run.checks[2].required);
        health_free(&run);
}

/* All start at once; each has its own deadline; the timer follows the earliest running one. */
static void test_schedule(void **state) {
        struct health_run run = { 0 };
        health_add(&run, "fast", "/r/fast", true, 1000);
        health_add(&run, "slow", "/r/slow", true, 5000);
        health_add(&run, "hang", "/w/hang", false, 2000);
        assert_int_equal(health_next_deadline(&run), UINT64_MAX);
        for (size_t i = 0; i < run.n; i++)
                health_started(&run.checks[i], 100 + (pid_t)i, 10000);
        assert_false(health_done(&run));
        assert_int_equal(health_next_deadline(&run), 11000);
        health_ended(&run.checks[0], EXITED(0), "ok\n");
        assert_int_equal(health_next_deadline(&run), 12000);
        assert_int_equal(health_expire(&run, 11999), 0);
        assert_int_equal(health_expire(&run, 12000), 1);
        assert_int_equal(run.checks[2].state, CHECK_TIMED_OUT);
        /* The timed-out one no longer sets the timer; its pid stays until it is reaped. */
        assert_int_equal(health_next_deadline(&run), 15000);
        assert_int_equal(run.checks[2].pid, 102);
        assert_false(health_done(&run));
        /* Killed for its timeout, it stays timed out, not failed. */
        health_ended(&run.checks[2], KILLED(SIGKILL), NULL);
        assert_int_equal(run.checks[2].state, CHECK_TIMED_OUT);
        assert_int_equal(run.checks[2].pid, -1);
        health_ended(&run.checks[1], EXITED(0), NULL);
        assert_true(health_done(&run));
        assert_int_equal(health_next_deadline(&run), UINT64_MAX);
        assert_int_equal(health_expire(&run, 99999), 0);
        assert_int_equal(health_verdict(&run), HEALTH_DEGRADED);
        health_free(&run);
}

static void test_verdict(void **state) {
        /* (required?, how it ended) per check, and the verdict of the run. */
        static const struct {
                int n;
                bool required[3];
                enum health_state end[3];
                enum health_verdict verdict;
        } rows[] = {
                { 0, { false }, { 0 }, HEALTH_OK },
                { 1, { true }, { CHECK_PASSED }, HEALTH_OK },
                { 2, { true, false }, { CHECK_PASSED, CHECK_FAILED }, HEALTH_DEGRADED },
                { 2, { true, false }, { CHECK_FAILED, CHECK_PASSED }, HEALTH_FAILED },
                { 2, { true, false }, { CHECK_TIMED_OUT, CHECK_FAILED }, HEALTH_FAILED },
                { 1, { true }, { CHECK_NOT_RUN }, HEALTH_FAILED },
                { 1, { false }, { CHECK_TIMED_OUT }, HEALTH_DEGRADED },
                { 2, { false, true }, { CHECK_PASSED, CHECK_RUNNING }, HEALTH_UNKNOWN },
                { 1, { true }, { CHECK_PENDING }, HEALTH_UNKNOWN },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct health_run run = { 0 };
                for (int k = 0; k < rows[i].n; k++) {
                        health_add(&run, "c", "/c", rows[i].required[k], 1000);
                        run.checks[k].state = rows[i].end[k];
                }
                if (health_verdict(&run) != rows[i].verdict)
                        fail_msg("row %zu: %s, expected %s", i, health_verdict_name(health_verdict(&run)),
                                 health_verdict_name(rows[i].verdict));
                health_free(&run);
        }
}

static void test_reason(void **state) {
        static const struct {
                enum health_state state;
                int wait_status;
                const char *output;
                unsigned timeout_ms;
                const char *reason;
        } rows[] = {
                { CHECK_FAILED, EXITED(1), "/home is not mounted\n", 1000,
                  "check `home-mounted` failed: /home is not mounted" },
                { CHECK_FAILED, EXITED(1), "checking...\n/home is not mounted\n\n  \n", 1000,
                  "check `home-mounted` failed: /home is not mounted" },
                { CHECK_FAILED, EXITED(1), "no newline", 1000, "check `home-mounted` failed: no newline" },
                { CHECK_FAILED, EXITED(3), "", 1000, "check `home-mounted` failed: exit status 3" },
                { CHECK_FAILED, EXITED(3), NULL, 1000, "check `home-mounted` failed: exit status 3" },
                { CHECK_FAILED, KILLED(SIGSEGV), "\n", 1000,
                  "check `home-mounted` failed: killed by signal 11" },
                { CHECK_TIMED_OUT, KILLED(SIGKILL), "still waiting\n", 30000,
                  "check `home-mounted` failed: no result within 30s (it hangs)" },
                { CHECK_TIMED_OUT, KILLED(SIGKILL), NULL, 1500,
                  "check `home-mounted` failed: no result within 1500ms (it hangs)" },
                { CHECK_NOT_RUN, 0, NULL, 1000, "check `home-mounted` failed: could not be started" },
                { CHECK_PASSED, EXITED(0), "all good\n", 1000, "" },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct health_check c = { .name = (char *)"home-mounted",
                                          .state = rows[i].state,
                                          .wait_status = rows[i].wait_status,
                                          .output = (char *)rows[i].output,
                                          .timeout_ms = rows[i].timeout_ms };
                char buf[256];
                health_reason(&c, buf, sizeof buf);
                if (!streq(buf, rows[i].reason))
                        fail_msg("row %zu: '%s', expected '%s'", i, buf, rows[i].reason);
        }
}

static void test_ended_by_exit(void **state) {
        struct health_check c = { .name = (char *)"x", .state = CHECK_RUNNING };
        health_ended(&c, EXITED(0), "fine\n");
        assert_int_equal(c.state, CHECK_PASSED);
        assert_string_equal(c.output, "fine\n");
        c.state = CHECK_RUNNING;
        health_ended(&c, EXITED(1), NULL);
        assert_int_equal(c.state, CHECK_FAILED);
        assert_null(c.output);
        c.state = CHECK_RUNNING;
        health_ended(&c, KILLED(SIGTERM), NULL);
        assert_int_equal(c.state, CHECK_FAILED);
}

static void test_run_reason(void **state) {
        struct health_run run = { 0 };
        char buf[256];
        health_add(&run, "wanted-one", "/w", false, 1000);
        health_add(&run, "required-one", "/r", true, 1000);
        health_add(&run, "required-two", "/r2", true, 1000);
        health_run_reason(&run, buf, sizeof buf);
        assert_string_equal(buf, "");
        run.checks[0].state = CHECK_FAILED;
        run.checks[0].output = strdup("low disk\n");
        health_run_reason(&run, buf, sizeof buf);
        assert_string_equal(buf, "check `wanted-one` failed: low disk");
        /* A required failure is the reason, ahead of a wanted one listed before it. */
        run.checks[2].state = CHECK_FAILED;
        run.checks[2].wait_status = EXITED(2);
        health_run_reason(&run, buf, sizeof buf);
        assert_string_equal(buf, "check `required-two` failed: exit status 2");
        health_free(&run);
}

static void test_summary(void **state) {
        struct health_run run = {};
        char buf[256];
        (void)state;
        health_add_result(&run, "home-mounted", true, CHECK_PASSED, NULL);
        health_add_result(&run, "units", true, CHECK_SKIPPED, "no system bus");
        health_add_result(&run, "var-mounted", true, CHECK_PASSED, NULL);
        health_run_summary(&run, buf, sizeof buf);
        assert_string_equal(buf, "health: 2 passed, 1 skipped (units)");
        health_add_result(&run, "free-space", false, CHECK_FAILED, "12 MiB free, below 500 MiB\n");
        health_run_summary(&run, buf, sizeof buf);
        assert_string_equal(buf,
                            "health: 2 passed, 1 skipped (units), 1 failed: "
                            "check `free-space` failed: 12 MiB free, below 500 MiB");
        run.checks[0].state = CHECK_FAILED;
        run.checks[0].output = strdup("/home is not mounted");
        health_run_summary(&run, buf, sizeof buf);
        assert_string_equal(buf,
                            "health: 1 passed, 1 skipped (units), 2 failed (home-mounted, free-space): "
                            "check `home-mounted` failed: /home is not mounted");
        /* Cut to the buffer, never past it. */
        char small[24];
        health_run_summary(&run, small, sizeof small);
        assert_int_equal(strlen(small), sizeof small - 1);
        health_free(&run);
}

static void test_boot_action(void **state) {
        static const struct {
                enum health_verdict verdict;
                bool counting;
                enum health_boot_action action;
        } rows[] = {
                { HEALTH_OK, true, BOOT_ACTION_NONE },
                { HEALTH_OK, false, BOOT_ACTION_NONE },
                { HEALTH_DEGRADED, true, BOOT_ACTION_WARN },
                { HEALTH_DEGRADED, false, BOOT_ACTION_WARN },
                /* Only a boot on trial is marked bad; a blessed root stays, with a warning. */
                { HEALTH_FAILED, true, BOOT_ACTION_MARK_BAD },
                { HEALTH_FAILED, false, BOOT_ACTION_WARN },
                { HEALTH_UNKNOWN, true, BOOT_ACTION_WARN },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (health_boot_action(rows[i].verdict, rows[i].counting) != rows[i].action)
                        fail_msg("row %zu: %s, counting %d", i, health_verdict_name(rows[i].verdict),
                                 rows[i].counting);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_names),   cmocka_unit_test(test_sorted_required_first),
                cmocka_unit_test(test_schedule),      cmocka_unit_test(test_verdict),
                cmocka_unit_test(test_reason),        cmocka_unit_test(test_summary),
                cmocka_unit_test(test_ended_by_exit), cmocka_unit_test(test_run_reason),
                cmocka_unit_test(test_boot_action),
        };
        return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
