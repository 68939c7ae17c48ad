/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A revoked release: which root the machine goes back to, or why it cannot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "revoke.h"

static char *const revoked[] = { (char *)"2026.12.2", (char *)"2026.11.9", NULL };

/* Newest first: an update from a revoked release booted, then older roots. */
static const struct revoke_root roots[] = {
        { .name = "@root-2026-12-07", .release = "2026.12.2", .good = true, .booted = true },
        { .name = "@root-2026-12-01", .release = "2026.11.9", .good = true },
        { .name = "@root-2026-11-20", .release = "2026.11.5", .good = false },
        { .name = "@root-2026-11-01", .release = "2026.11.1", .good = true },
        { .name = "@root-current", .release = NULL, .good = true },
};

static void test_rollback_to_newest_good_not_revoked(void **state) {
        struct revoke_decision d;
        revoke_decide(roots, 5, revoked, "@root-2026-12-07", &d);
        assert_int_equal(d.action, REVOKE_ROLLBACK);
        assert_string_equal(d.target, "@root-2026-11-01");
        assert_string_equal(d.release, "2026.12.2");
        assert_string_equal(d.booted, "@root-2026-12-07");
        assert_non_null(strstr(d.text, "release 2026.12.2"));
        assert_non_null(strstr(d.text, "@root-2026-12-07"));
        assert_non_null(strstr(d.text, "going back to @root-2026-11-01 (release 2026.11.1)"));
}

static void test_unknown_release_is_not_revoked(void **state) {
        struct revoke_root r[] = {
                { .name = "@root-b", .release = "", .good = true, .booted = true },
                { .name = "@root-a", .release = "2026.11.9", .good = true },
        };
        struct revoke_decision d;
        revoke_decide(r, 2, revoked, NULL, &d);
        assert_int_equal(d.action, REVOKE_NOTHING);
        assert_null(d.booted);
        r[0].release = "2026.12.3";
        revoke_decide(r, 2, revoked, NULL, &d);
        assert_int_equal(d.action, REVOKE_NOTHING);
        revoke_decide(r, 2, NULL, NULL, &d);
        assert_int_equal(d.action, REVOKE_NOTHING);
}

static void test_a_root_of_unknown_release_is_a_target(void **state) {
        const struct revoke_root r[] = {
                { .name = "@root-b", .release = "2026.12.2", .good = false, .booted = true },
                { .name = "@root-a", .release = NULL, .good = true },
        };
        struct revoke_decision d;
        revoke_decide(r, 2, revoked, NULL, &d);
        assert_int_equal(d.action, REVOKE_ROLLBACK);
        assert_string_equal(d.target, "@root-a");
        assert_non_null(strstr(d.text, "going back to @root-a at the next boot"));
}

static void test_none_left(void **state) {
        const struct revoke_root r[] = {
                { .name = "@root-c", .release = "2026.12.2", .good = true, .booted = true },
                { .name = "@root-b", .release = "2026.11.9", .good = true },
                { .name = "@root-a", .release = "2026.11.1", .good = false },
        };
        struct revoke_decision d;
        revoke_decide(r, 3, revoked, "@root-c", &d);
        assert_int_equal(d.action, REVOKE_STUCK);
        assert_null(d.target);
        assert_non_null(strstr(d.text, "no good root of another release"));
        assert_non_null(strstr(d.text, "nothing was changed"));
}

static void test_done_once_the_next_root_is_safe(void **state) {
        struct revoke_decision d;
        revoke_decide(roots, 5, revoked, "@root-2026-11-01", &d);
        assert_int_equal(d.action, REVOKE_DONE);
        assert_string_equal(d.target, "@root-2026-11-01");
        /* The next root revoked too, or not good: not done. */
        revoke_decide(roots, 5, revoked, "@root-2026-12-01", &d);
        assert_int_equal(d.action, REVOKE_ROLLBACK);
        revoke_decide(roots, 5, revoked, "@root-2026-11-20", &d);
        assert_int_equal(d.action, REVOKE_ROLLBACK);
}

static void test_booted_unknown(void **state) {
        const struct revoke_root r[] = { { .name = "@root-a", .release = "2026.12.2", .good = true } };
        struct revoke_decision d;
        revoke_decide(r, 1, revoked, NULL, &d);
        assert_int_equal(d.action, REVOKE_NOTHING);
        revoke_decide(NULL, 0, revoked, NULL, &d);
        assert_int_equal(d.action, REVOKE_NOTHING);
}

static void test_listed(void **state) {
        assert_true(revoke_listed(revoked, "2026.11.9"));
        assert_false(revoke_listed(revoked, "2026.11"));
        assert_false(revoke_listed(revoked, NULL));
        assert_false(revoke_listed(revoked, ""));
        assert_false(revoke_listed(NULL, "2026.11.9"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rollback_to_newest_good_not_revoked),
                cmocka_unit_test(test_unknown_release_is_not_revoked),
                cmocka_unit_test(test_a_root_of_unknown_release_is_a_target),
                cmocka_unit_test(test_none_left),
                cmocka_unit_test(test_done_once_the_next_root_is_safe),
                cmocka_unit_test(test_booted_unknown),
                cmocka_unit_test(test_listed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
