/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's handling of a revoked release, with koompi-boot faked at rootfacts_call() (linked
 * with --wrap): when the rollback cannot be started, or runs and fails, the admin gets an alert
 * saying what failed and what to do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "revokerun.h"
#include "rootfacts.h"
#include "testlib.h"
#include "util.h"

/* koompi-boot --json status: @root-c, booted, was made from the revoked 2026.12.2. */
static const char status[] =
        "{\"booted\":{\"snapshot\":\"@root-c\"},\"default\":{\"snapshot\":\"@root-c\"},\"alerts\":[],"
        "\"snapshots\":[{\"name\":\"@root-c\",\"release\":\"2026.12.2\",\"state\":\"good\",\"booted\":true},"
        "{\"name\":\"@root-b\",\"release\":\"2026.12.1\",\"state\":\"good\"}]}";

/* What the fake was asked, and how it answers a rollback. */
static struct {
        int rollback_start; /* rootfacts_call()'s return for the rollback */
        int rollback_exit; /* its exit status when it starts */
        unsigned rollbacks, statuses;
        char alert_kind[32];
        char *alert_text;
} fake;

int __wrap_rootfacts_call(sd_event *e, const struct rootfacts_source *src, const char *const *args,
                          rootfacts_done_fn done, void *userdata);
int __wrap_rootfacts_call(sd_event *e, const struct rootfacts_source *src, const char *const *args,
                          rootfacts_done_fn done, void *userdata) {
        if (streq(args[0], "--json")) {
                /* The first read is the revocation's; the agent's refresh after it is left running. */
                if (fake.statuses++ == 0)
                        done(0, status, NULL, userdata);
                return 0;
        }
        if (streq(args[0], "rollback")) {
                assert_string_equal(args[1], "@root-b");
                fake.rollbacks++;
                if (fake.rollback_start < 0)
                        return fake.rollback_start;
                done(fake.rollback_exit, "", "koompi-boot: the ESP is read-only", userdata);
                return 0;
        }
        assert_string_equal(args[0], "alerts");
        assert_string_equal(args[1], "raise");
        assert_null(fake.alert_text);
        snprintf(fake.alert_kind, sizeof fake.alert_kind, "%s", args[3]);
        fake.alert_text = strdup_or_die(args[4]);
        done(0, "", NULL, userdata);
        return 0;
}

static void revoke_booted_release(struct agent *a) {
        json_object *answer = json_tokener_parse("{\"revoked\":[\"2026.12.2\"]}");
        update_revoke_check(a, answer);
        json_object_put(answer);
        assert_false(a->revoking);
        assert_int_equal(fake.rollbacks, 1);
        assert_string_equal(fake.alert_kind, "revoked");
}

static int reset(void **state) {
        free(fake.alert_text);
        memset(&fake, 0, sizeof fake);
        return 0;
}

static void test_rollback_not_started(void **state) {
        struct agent a = { .source = { .koompi_boot = "/usr/bin/koompi-boot" } };
        fake.rollback_start = -EMFILE;
        revoke_booted_release(&a);
        assert_non_null(strstr(fake.alert_text,
                               "release 2026.12.2 of the booted root was revoked, and "
                               "koompi-boot rollback could not be started: "));
        assert_non_null(strstr(fake.alert_text, strerror(EMFILE)));
        assert_non_null(strstr(fake.alert_text, "run `koompi-boot rollback @root-b` as root"));
}

static void test_rollback_failed(void **state) {
        struct agent a = { .source = { .koompi_boot = "/usr/bin/koompi-boot" } };
        fake.rollback_exit = 5;
        revoke_booted_release(&a);
        assert_non_null(strstr(fake.alert_text,
                               "release 2026.12.2 of the booted root was revoked, and going back to @root-b "
                               "failed: koompi-boot: the ESP is read-only"));
        assert_non_null(strstr(fake.alert_text, "run `koompi-boot rollback @root-b` as root"));
}

int main(void) {
        tl_log_quiet("test-revokerun");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_rollback_not_started, reset, reset),
                cmocka_unit_test_setup_teardown(test_rollback_failed, reset, reset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
