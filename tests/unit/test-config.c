/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "testlib.h"
#include "util.h"

static char path[TL_TMP_MAX];

static void write_conf(const char *text) {
        tl_write_text(path, text);
}

static int setup(void **state) {
        return tl_tmpfile_new(path, sizeof path, "config") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        unlink(path);
        return 0;
}

static void test_defaults(void **state) {
        struct koompi_config c;
        config_init_defaults(&c);
        assert_string_equal(c.snapshot, "@root-current");
        assert_string_equal(c.home_subvol, "@home");
        assert_int_equal(c.timeout_ms, 30000);
        assert_int_equal(c.luks_tries, 3);
        assert_int_equal(c.boot_tries, 3);
        assert_string_equal(c.failure_action, "halt");
        assert_true(strv_length(c.modules_load) >= 2);
        assert_string_equal(c.modules_load[0], "dm-crypt");
        config_free(&c);
}

static void test_shipped_config_matches_defaults(void **state) {
        /* config/boot.conf documents every key with its default: loading it changes nothing. */
        struct koompi_config d, c;
        char *err = NULL;
        config_init_defaults(&d);
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, "config/boot.conf", &err), 0);
        assert_string_equal(c.snapshot, d.snapshot);
        assert_int_equal(c.timeout_ms, d.timeout_ms);
        assert_string_equal(c.failure_action, d.failure_action);
        assert_int_equal(strv_length(c.modules_load), strv_length(d.modules_load));
        assert_int_equal(strv_length(c.modules_hardware), strv_length(d.modules_hardware));
        assert_int_equal(c.compression_level, d.compression_level);
        assert_string_equal(c.image, d.image);
        assert_string_equal(c.sb_keys, d.sb_keys);
        config_free(&c);
        config_free(&d);
}

/* [boot] image chooses entries or unified kernel images; [secureboot] keys where the keys are. */
static void test_image_and_keys(void **state) {
        struct koompi_config c;
        char *err = NULL;
        config_init_defaults(&c);
        assert_string_equal(c.image, "entry");
        assert_string_equal(c.sb_keys, "/etc/koompi/secureboot");
        write_conf("[boot]\nimage = uki\n[secureboot]\nkeys = /root/keys\n");
        assert_int_equal(config_load(&c, path, &err), 0);
        assert_string_equal(c.image, "uki");
        assert_string_equal(c.sb_keys, "/root/keys");
        write_conf("[boot]\nimage = efi\n");
        assert_int_equal(config_load(&c, path, &err), -EINVAL);
        assert_non_null(strstr(err, "boot:image"));
        free(err);
        config_free(&c);
}

static void test_values(void **state) {
        struct koompi_config c;
        char *err = NULL;
        write_conf("[boot]\nsnapshot = @root-new\ntimeout = 5s\nfailure_action = reboot\n"
                   "[luks]\nuuid = 1234\ntries = 5\n[modules]\nload = a b,c\n");
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, path, &err), 0);
        assert_null(err);
        assert_string_equal(c.snapshot, "@root-new");
        assert_int_equal(c.timeout_ms, 5000);
        assert_string_equal(c.failure_action, "reboot");
        assert_string_equal(c.luks_uuid, "1234");
        assert_int_equal(c.luks_tries, 5);
        assert_int_equal(strv_length(c.modules_load), 3);
        assert_string_equal(c.modules_load[2], "c");
        config_free(&c);
}

static void expect_invalid(const char *text, const char *needle) {
        struct koompi_config c;
        char *err = NULL;
        write_conf(text);
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, path, &err), -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, needle));
        /* A failed load leaves usable values behind. */
        assert_non_null(c.snapshot);
        free(err);
        config_free(&c);
}

static void test_corrupt(void **state) {
        expect_invalid("[boot]\ntimeout = soon\n", "boot:timeout");
        expect_invalid("[boot]\nfailure_action = explode\n", "failure_action");
        expect_invalid("[boot]\nsnapshto = @x\n", "boot:snapshto");
        expect_invalid("[luks]\ntries = -1\n", "luks:tries");
        expect_invalid("[boot\nthis is not ini\n", path);
}

static void test_missing(void **state) {
        struct koompi_config c;
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, "/nonexistent/boot.conf", NULL), -ENOENT);
        assert_string_equal(c.snapshot, "@root-current");
        config_free(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),       cmocka_unit_test(test_shipped_config_matches_defaults),
                cmocka_unit_test(test_image_and_keys), cmocka_unit_test(test_values),
                cmocka_unit_test(test_corrupt),        cmocka_unit_test(test_missing),
        };
        return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
