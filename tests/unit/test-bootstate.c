/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-init's record of the boot, /run/koompi/boot.json, as koompi-boot reads it
 * (src/admin/bootstate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bootstate.h"
#include "testlib.h"

static char dir[TL_TMP_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(dir, sizeof dir, "bootstate");
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir);
}

static void stage_cb(const char *stage, uint64_t ms, void *ud) {
        char *seen = ud;
        snprintf(seen + strlen(seen), 128 - strlen(seen), "%s=%llu;", stage, (unsigned long long)ms);
}

static void test_full_record(void **state) {
        const char *path = tl_path(dir, "boot.json");
        struct boot_state s;
        char seen[128] = "";
        tl_write_text(path,
                      "{\"snapshot\":\"@root-current\",\"luks_device\":\"/dev/vda2\",\"keyslot\":1,"
                      "\"prompt_ms\":2500,\"entry\":\"koompi-root-current.conf\",\"counting\":true,"
                      "\"ledger_seq\":5,\"fallback\":false,\"unknown\":{\"a\":[1,2]},"
                      "\"timeline\":[{\"stage\":\"start\",\"ms\":812},{\"stage\":\"exec\",\"ms\":4630}]}\n");
        assert_int_equal(boot_state_load(path, &s), 0);
        assert_string_equal(s.snapshot, "@root-current");
        assert_string_equal(s.entry, "koompi-root-current.conf");
        assert_string_equal(s.luks_device, "/dev/vda2");
        assert_true(s.has_keyslot);
        assert_int_equal(s.keyslot, 1);
        assert_int_equal(s.prompt_ms, 2500);
        assert_true(s.counting);
        assert_false(s.fallback);
        assert_int_equal(s.ledger_seq, 5);
        boot_state_timeline(&s, stage_cb, seen);
        assert_string_equal(seen, "start=812;exec=4630;");
        boot_state_free(&s);
}

static void test_empty_object(void **state) {
        const char *path = tl_path(dir, "empty.json");
        struct boot_state s;
        tl_write_text(path, " { } ");
        assert_int_equal(boot_state_load(path, &s), 0);
        assert_string_equal(s.snapshot, "");
        assert_false(s.has_keyslot);
        assert_string_equal(s.timeline, "[]");
        boot_state_free(&s);
}

/* Whatever is wrong, the record is empty (never half read) and nothing is left to free. */
static void test_refused(void **state) {
        static const char *const bad[] = {
                "",
                "[]",
                "{\"snapshot\":\"@root-a\"",
                "{\"timeline\":[{\"stage\":\"x\",\"ms\":1}],\"snapshot\" \"@root-a\"}",
                "{\"snapshot\":\"@root-a\";}",
                "{\"snapshot\":}",
        };
        const char *path = tl_path(dir, "bad.json");
        struct boot_state s;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                tl_write_text(path, bad[i]);
                assert_int_equal(boot_state_load(path, &s), -EBADMSG);
                assert_string_equal(s.snapshot, "");
                assert_null(s.timeline);
        }
        assert_int_equal(boot_state_load(tl_path(dir, "missing.json"), &s), -ENOENT);
        assert_null(s.timeline);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_record),
                cmocka_unit_test(test_empty_object),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
