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

/* text, then a [luks] uuid: applied after a bad value, not after a line that does not parse. */
static void expect_invalid(const char *text, const char *needle, bool rest_applies) {
        struct koompi_config c;
        char *err = NULL, *full = NULL;
        assert_true(asprintf(&full, "%s[luks]\nuuid = 1234\n", text) > 0);
        write_conf(full);
        free(full);
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, path, &err), -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, needle));
        /* A failed load leaves usable values behind. */
        assert_non_null(c.snapshot);
        assert_string_equal(c.luks_uuid, rest_applies ? "1234" : "");
        free(err);
        config_free(&c);
}

/* A bad value of a known key (a choice of a newer version, a typo) costs that key only: it keeps
 * its default and is named with its value; every other key of the file applies, before and
 * after it, and unknown keys are named too. */
static void test_bad_value_costs_its_key(void **state) {
        struct koompi_config c;
        char *err = NULL;
        write_conf("[boot]\ntries = 5\nfailure_action = suspend\ntimeout = soon\nsnapshot = @root-x\n"
                   "splash = on\n[luks]\nuuid = 1234\ntries = -1\n[recovery]\npassword_hash = $6$s$h\n");
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, path, &err), -EINVAL);
        assert_non_null(err);
        assert_non_null(
                strstr(err, "bad values 'soon' for 'boot:timeout', 'suspend' for 'boot:failure_action'"));
        assert_non_null(strstr(err, "'-1' for 'luks:tries'"));
        assert_non_null(strstr(err, "unknown key 'boot:splash' ignored"));
        assert_null(strstr(err, "$6$"));
        assert_string_equal(c.failure_action, "halt");
        assert_int_equal(c.timeout_ms, 30000);
        assert_int_equal(c.luks_tries, 3);
        assert_int_equal(c.boot_tries, 5);
        assert_string_equal(c.snapshot, "@root-x");
        assert_string_equal(c.luks_uuid, "1234");
        assert_string_equal(c.password_hash, "$6$s$h");
        free(err);
        config_free(&c);
}

static void test_corrupt(void **state) {
        /* A bad value costs its key only. */
        expect_invalid("[boot]\ntimeout = soon\n", "boot:timeout", true);
        expect_invalid("[boot]\nfailure_action = explode\n", "failure_action", true);
        expect_invalid("[luks]\ntries = -1\n", "luks:tries", true);
        expect_invalid("[boot\nthis is not ini\n", path, false);
        /* iniparser's own report names the line. */
        expect_invalid("[boot]\ntries = 3\nthis is not ini\n", "(3)", false);
}

/* A key this version does not know (a typo, or written by a newer version) is left out and
 * named; every other key still applies. */
static void expect_ignored(const char *text, int n, const char *needle) {
        struct koompi_config c;
        char *err = NULL;
        write_conf(text);
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, path, &err), n);
        assert_non_null(err);
        assert_non_null(strstr(err, needle));
        assert_non_null(strstr(err, "ignored"));
        free(err);
        config_free(&c);
}

static void test_unknown_keys(void **state) {
        struct koompi_config c;
        char *err = NULL;
        expect_ignored("[boot]\nsnapshto = @x\n", 1, "boot:snapshto");
        write_conf("[boot]\nfailure_action = reboot\nsplash = on\n[luks]\nuuid = 1234\n"
                   "[telemetry]\nurl = https://example.org\n[recovery]\npassword_hash = $6$s$h\n");
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, path, &err), 2);
        assert_non_null(strstr(err, "'boot:splash'"));
        assert_non_null(strstr(err, "'telemetry:url'"));
        assert_string_equal(c.failure_action, "reboot");
        assert_string_equal(c.luks_uuid, "1234");
        assert_string_equal(c.password_hash, "$6$s$h");
        free(err);
        config_free(&c);
}

/* A boot.conf that cannot be read at all, or holds binary garbage, is an error (koompi-init then
 * boots on the built-in defaults), never a crash nor a half-read file taken as valid. */
static void test_unreadable_and_garbage(void **state) {
        struct koompi_config c;
        char *err = NULL;
        char garbage[4096];
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, "/", &err), -EISDIR);
        assert_null(err);
        srand(5);
        for (size_t i = 0; i < sizeof garbage; i++)
                garbage[i] = (char)(rand() % 256);
        tl_write_file(path, garbage, sizeof garbage, 0644);
        assert_int_equal(config_load(&c, path, &err), -EINVAL);
        assert_non_null(strstr(err, "not a valid INI file"));
        free(err);
        assert_string_equal(c.snapshot, "@root-current");
        config_free(&c);
}

static void test_missing(void **state) {
        struct koompi_config c;
        config_init_defaults(&c);
        assert_int_equal(config_load(&c, "/nonexistent/boot.conf", NULL), -ENOENT);
        assert_string_equal(c.snapshot, "@root-current");
        config_free(&c);
}

/* config_format() writes what config_load() reads back, quoting what iniparser would cut. */
static void test_format_round_trip(void **state) {
        struct koompi_config c, back;
        char *text = NULL, *err = NULL;
        size_t len = 0;
        const char *key = NULL;
        config_init_defaults(&c);
        free(c.password_hash);
        c.password_hash = strdup("$6$a;b#c$d");
        free(c.luks_key);
        c.luks_key = strdup("/etc/it's.key");
        free(c.luks_uuid);
        c.luks_uuid = strdup("abc\\");
        free(c.snapshot);
        c.snapshot = strdup("@a\"b");
        c.timeout_ms = 1500;
        assert_int_equal(config_format(&c, &text, &len, &key), 0);
        assert_int_equal(strlen(text), len);
        tl_write_file(path, text, len, 0644);
        free(text);
        config_init_defaults(&back);
        assert_int_equal(config_load(&back, path, &err), 0);
        assert_null(config_diff(&c, &back));
        config_free(&back);
        /* Nothing holds both quotes, nor a line break. */
        free(c.luks_name);
        c.luks_name = strdup("a\"b'c");
        assert_int_equal(config_format(&c, &text, &len, &key), -EINVAL);
        assert_string_equal(key, "luks:name");
        config_free(&c);
}

/* A line iniparser reads is at most 1,022 bytes: config_format() writes one that long and refuses
 * a longer one, naming its key, rather than a file koompi-init would not read at all. */
static void test_format_line_limit(void **state) {
        struct koompi_config c, back;
        char word[1014], *text = NULL, *err = NULL;
        size_t len = 0;
        const char *key = NULL;
        config_init_defaults(&c);
        /* "include = " and 1,012 bytes. */
        memset(word, 'a', 1012);
        word[1012] = 0;
        assert_int_equal(strv_extend(&c.include, word), 0);
        assert_int_equal(config_format(&c, &text, &len, &key), 0);
        assert_non_null(strstr(text, "\ninclude = a"));
        tl_write_file(path, text, len, 0644);
        free(text);
        config_init_defaults(&back);
        assert_int_equal(config_load(&back, path, &err), 0);
        assert_null(config_diff(&c, &back));
        config_free(&back);
        /* One byte more, or the same with quotes it needs, is refused. */
        strv_free(c.include);
        c.include = NULL;
        word[1012] = 'a';
        word[1013] = 0;
        assert_int_equal(strv_extend(&c.include, word), 0);
        assert_int_equal(config_format(&c, &text, &len, &key), -EINVAL);
        assert_string_equal(key, "image:include");
        strv_free(c.include);
        c.include = NULL;
        word[1011] = '#';
        word[1012] = 0;
        assert_int_equal(strv_extend(&c.include, word), 0);
        key = NULL;
        assert_int_equal(config_format(&c, &text, &len, &key), -EINVAL);
        assert_string_equal(key, "image:include");
        config_free(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_shipped_config_matches_defaults),
                cmocka_unit_test(test_image_and_keys),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_corrupt),
                cmocka_unit_test(test_bad_value_costs_its_key),
                cmocka_unit_test(test_missing),
                cmocka_unit_test(test_unknown_keys),
                cmocka_unit_test(test_format_round_trip),
                cmocka_unit_test(test_format_line_limit),
                cmocka_unit_test(test_unreadable_and_garbage),
        };
        return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
