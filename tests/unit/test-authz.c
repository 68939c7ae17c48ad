/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "authz.h"
#include "util.h"

#define ADMIN 1001
#define TEACHER 1002

static void test_role(void **state) {
        static const struct {
                uid_t uid;
                gid_t gids[3];
                unsigned n;
                long admin, teacher;
                enum authz_role role;
        } rows[] = {
                { 0, { 0 }, 1, ADMIN, TEACHER, ROLE_ROOT },
                { 0, { 100 }, 1, -1, -1, ROLE_ROOT },
                { 1000, { 100, ADMIN }, 2, ADMIN, TEACHER, ROLE_ADMIN },
                { 1000, { TEACHER, ADMIN }, 2, ADMIN, TEACHER, ROLE_ADMIN }, /* the higher role wins */
                { 1000, { TEACHER }, 1, ADMIN, TEACHER, ROLE_TEACHER },
                { 1000, { 100, 27 }, 2, ADMIN, TEACHER, ROLE_STUDENT },
                { 1000, { 0 }, 0, ADMIN, TEACHER, ROLE_STUDENT },
                /* No such group on this machine: nobody is in it, not even gid 0's members. */
                { 1000, { 0 }, 1, -1, -1, ROLE_STUDENT },
                { 65534, { 65534 }, 1, ADMIN, TEACHER, ROLE_STUDENT },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (authz_role(rows[i].uid, rows[i].gids, rows[i].n, rows[i].admin, rows[i].teacher) !=
                    rows[i].role)
                        fail_msg("row %zu: expected %s", i, authz_role_name(rows[i].role));
}

/* Every method against every role, with and without polkit. */
static void test_decide(void **state) {
        static const struct {
                const char *method;
                enum authz_role role;
                bool polkit;
                enum authz_verdict verdict;
        } rows[] = {
                { "GetStatus", ROLE_STUDENT, false, AUTHZ_ALLOW },
                { "GetStatus", ROLE_STUDENT, true, AUTHZ_ALLOW },
                { "GetStatus", ROLE_TEACHER, false, AUTHZ_ALLOW },
                { "GetStatus", ROLE_ADMIN, false, AUTHZ_ALLOW },
                { "GetStatus", ROLE_ROOT, false, AUTHZ_ALLOW },
                { "AcknowledgeAlert", ROLE_STUDENT, false, AUTHZ_DENY },
                { "AcknowledgeAlert", ROLE_TEACHER, false, AUTHZ_ALLOW },
                { "AcknowledgeAlert", ROLE_ADMIN, false, AUTHZ_ALLOW },
                { "AcknowledgeAlert", ROLE_ROOT, false, AUTHZ_ALLOW },
                { "AcknowledgeAlert", ROLE_STUDENT, true, AUTHZ_ASK_POLKIT },
                { "AcknowledgeAlert", ROLE_TEACHER, true, AUTHZ_ASK_POLKIT },
                { "AcknowledgeAlert", ROLE_ADMIN, true, AUTHZ_ASK_POLKIT },
                { "AcknowledgeAlert", ROLE_ROOT, true, AUTHZ_ALLOW },
                { "RunHealth", ROLE_STUDENT, false, AUTHZ_DENY },
                { "RunHealth", ROLE_TEACHER, false, AUTHZ_ALLOW },
                { "RunHealth", ROLE_ADMIN, false, AUTHZ_ALLOW },
                { "RunHealth", ROLE_ROOT, false, AUTHZ_ALLOW },
                { "RunHealth", ROLE_STUDENT, true, AUTHZ_ASK_POLKIT },
                { "RunHealth", ROLE_ROOT, true, AUTHZ_ALLOW },
                { "UpdateCheck", ROLE_STUDENT, false, AUTHZ_ALLOW },
                { "UpdateCheck", ROLE_STUDENT, true, AUTHZ_ALLOW },
                { "UpdateApprove", ROLE_STUDENT, false, AUTHZ_DENY },
                { "UpdateApprove", ROLE_TEACHER, false, AUTHZ_DENY },
                { "UpdateApprove", ROLE_ADMIN, false, AUTHZ_ALLOW },
                { "UpdateApprove", ROLE_TEACHER, true, AUTHZ_ASK_POLKIT },
                { "UpdateApprove", ROLE_ROOT, true, AUTHZ_ALLOW },
                { "UpdateApply", ROLE_STUDENT, false, AUTHZ_DENY },
                { "UpdateApply", ROLE_TEACHER, false, AUTHZ_DENY },
                { "UpdateApply", ROLE_ADMIN, false, AUTHZ_ALLOW },
                { "UpdateApply", ROLE_TEACHER, true, AUTHZ_ASK_POLKIT },
                /* A method the table does not know is nobody's, root's neither. */
                { "Reboot", ROLE_ROOT, false, AUTHZ_DENY },
                { "Reboot", ROLE_STUDENT, true, AUTHZ_DENY },
                { "", ROLE_ADMIN, false, AUTHZ_DENY },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (authz_decide(rows[i].method, rows[i].role, rows[i].polkit) != rows[i].verdict)
                        fail_msg("row %zu: %s as %s (polkit %d): verdict %d, expected %d", i, rows[i].method,
                                 authz_role_name(rows[i].role), rows[i].polkit,
                                 authz_decide(rows[i].method, rows[i].role, rows[i].polkit), rows[i].verdict);
}

static void test_every_change_has_a_polkit_action(void **state) {
        static const char *const changes[] = { "RunHealth", "AcknowledgeAlert", "UpdateApprove",
                                               "UpdateApply" };
        for (size_t i = 0; i < ELEMENTSOF(changes); i++) {
                const struct authz_method *m = authz_method(changes[i]);
                assert_non_null(m);
                assert_non_null(m->action);
                assert_non_null(startswith(m->action, "org.koompi.agent."));
                assert_false(m->roles & ROLE_BIT(ROLE_STUDENT));
        }
        assert_null(authz_method("GetStatus")->action);
        assert_null(authz_method("UpdateCheck")->action);
        assert_null(authz_method(NULL));
}

static void test_use_polkit(void **state) {
        assert_true(authz_use_polkit("auto", true));
        assert_false(authz_use_polkit("auto", false));
        assert_true(authz_use_polkit("yes", false));
        assert_false(authz_use_polkit("no", true));
        assert_true(authz_use_polkit(NULL, true));
}

static void test_refusal(void **state) {
        char buf[128];
        authz_refusal("AcknowledgeAlert", "koompi-admin", "koompi-teacher", buf, sizeof buf);
        assert_string_equal(buf, "not allowed: needs the koompi-admin or koompi-teacher group");
        authz_refusal("RunHealth", "wheel", "staff", buf, sizeof buf);
        assert_string_equal(buf, "not allowed: needs the wheel or staff group");
        authz_refusal("Reboot", "koompi-admin", "koompi-teacher", buf, sizeof buf);
        assert_string_equal(buf, "not allowed: Reboot is not a method of koompi-agent");
        authz_refusal("AcknowledgeAlert", "koompi-admin", "koompi-teacher", buf, 12);
        assert_int_equal(strlen(buf), 11);
        authz_refusal("UpdateApprove", "koompi-admin", "koompi-teacher", buf, sizeof buf);
        assert_string_equal(buf, "not allowed: needs the koompi-admin group");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_role),
                cmocka_unit_test(test_decide),
                cmocka_unit_test(test_every_change_has_a_polkit_action),
                cmocka_unit_test(test_use_polkit),
                cmocka_unit_test(test_refusal),
        };
        return cmocka_run_group_tests_name("authz", tests, NULL, NULL);
}
