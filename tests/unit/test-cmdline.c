/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cmdline.h"
#include "util.h"

static void test_full_line(void **state) {
        struct boot_cmdline c;
        assert_int_equal(
                cmdline_parse("BOOT_IMAGE=/vmlinuz console=ttyS0 root=UUID=1234-ab "
                              "rootflags=compress=zstd rootfstype=btrfs ro init=/lib/systemd/systemd "
                              "rd.luks.name=aaaa-bbbb=cryptroot rd.luks.key=/etc/key.bin "
                              "rd.luks.options=tries=5,timeout=10s,discard rd.timeout=7 "
                              "quiet koompi.snapshot=@root-2024-12-01 foo=bar\n",
                              &c),
                0);
        assert_string_equal(c.root, "UUID=1234-ab");
        assert_string_equal(c.rootflags, "compress=zstd");
        assert_string_equal(c.rootfstype, "btrfs");
        assert_int_equal(c.rw, 0);
        assert_string_equal(c.init, "/lib/systemd/systemd");
        assert_string_equal(c.luks_uuid, "aaaa-bbbb");
        assert_string_equal(c.luks_name, "cryptroot");
        assert_string_equal(c.luks_key, "/etc/key.bin");
        assert_true(c.has_luks_tries);
        assert_int_equal(c.luks_tries, 5);
        assert_true(c.has_luks_timeout);
        assert_int_equal(c.luks_timeout_ms, 10000);
        assert_true(c.luks_discard);
        assert_true(c.has_timeout);
        assert_int_equal(c.timeout_ms, 7000);
        assert_true(c.quiet);
        assert_string_equal(c.snapshot, "@root-2024-12-01");
        assert_false(c.rd_break);
        cmdline_free(&c);
}

static void test_defaults_and_unknown_words(void **state) {
        struct boot_cmdline c;
        assert_int_equal(cmdline_parse("splash nomodeset x.y=z =oops root", &c), 0);
        assert_null(c.root);
        assert_null(c.snapshot);
        assert_int_equal(c.rw, -1);
        assert_false(c.has_timeout);
        assert_false(c.quiet);
        cmdline_free(&c);
        assert_int_equal(cmdline_parse("", &c), 0);
        cmdline_free(&c);
}

static void test_last_wins_and_rw(void **state) {
        struct boot_cmdline c;
        assert_int_equal(cmdline_parse("ro rw koompi.snapshot=@a koompi.snapshot=@b", &c), 0);
        assert_int_equal(c.rw, 1);
        assert_string_equal(c.snapshot, "@b");
        cmdline_free(&c);
}

static void test_luks_forms(void **state) {
        struct boot_cmdline c;
        assert_int_equal(cmdline_parse("rd.luks.uuid=luks-1111-2222 rd.luks.key=1111-2222=/k/f "
                                       "rd.luks.options=1111-2222=tries=2",
                                       &c),
                         0);
        assert_string_equal(c.luks_uuid, "1111-2222");
        assert_null(c.luks_name);
        assert_string_equal(c.luks_key, "/k/f");
        assert_int_equal(c.luks_tries, 2);
        assert_string_equal(c.luks_options, "tries=2");
        cmdline_free(&c);
        /* A bare "tries=3" has no UUID in front even though it contains '='. */
        assert_int_equal(cmdline_parse("rd.luks.options=tries=3,discard", &c), 0);
        assert_int_equal(c.luks_tries, 3);
        assert_true(c.luks_discard);
        cmdline_free(&c);
        /* rd.luks.name without a name is ignored, not half-applied. */
        assert_int_equal(cmdline_parse("rd.luks.name=abcd", &c), 0);
        assert_null(c.luks_uuid);
        cmdline_free(&c);
}

static void test_quotes_break_recovery(void **state) {
        struct boot_cmdline c;
        assert_int_equal(cmdline_parse("init=\"/sbin/my init\" rd.break=pre-mount koompi.recovery "
                                       "rd.emergency=reboot rd.debug",
                                       &c),
                         0);
        assert_string_equal(c.init, "/sbin/my init");
        assert_true(c.rd_break);
        assert_true(c.recovery);
        assert_true(c.debug);
        assert_string_equal(c.emergency, "reboot");
        cmdline_free(&c);
}

static void test_bad_numbers_ignored(void **state) {
        struct boot_cmdline c;
        assert_int_equal(cmdline_parse("rd.timeout=-3 rd.luks.options=tries=x", &c), 0);
        assert_false(c.has_timeout);
        assert_false(c.has_luks_tries);
        cmdline_free(&c);
        assert_int_equal(cmdline_parse("rd.timeout=500ms", &c), 0);
        assert_int_equal(c.timeout_ms, 500);
        cmdline_free(&c);
}

static void test_fault(void **state) {
        struct boot_cmdline c;
        assert_int_equal(cmdline_parse("quiet koompi.fault=ledger-boot:20", &c), 0);
        assert_string_equal(c.fault, "ledger-boot:20");
        cmdline_free(&c);
        assert_null(c.fault);
        assert_int_equal(cmdline_parse("koompi.faulty=x koompi.fault", &c), 0);
        assert_null(c.fault);
        cmdline_free(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_line),
                cmocka_unit_test(test_defaults_and_unknown_words),
                cmocka_unit_test(test_last_wins_and_rw),
                cmocka_unit_test(test_luks_forms),
                cmocka_unit_test(test_quotes_break_recovery),
                cmocka_unit_test(test_bad_numbers_ignored),
                cmocka_unit_test(test_fault),
        };
        return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
