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
#include <sys/stat.h>
#include <unistd.h>

#include "secureboot.h"
#include "testlib.h"
#include "tool.h"
#include "uki.h"
#include "util.h"

static void test_key_names(void **state) {
        char buf[64];
        assert_string_equal(sb_key_name(SB_PK), "PK");
        assert_string_equal(sb_key_name(SB_KEK), "KEK");
        assert_string_equal(sb_key_name(SB_DB), "db");
        assert_null(sb_key_name(SB_N_KEYS));
        assert_int_equal(sb_key_path("/etc/k", SB_DB, "key", buf, sizeof buf), 0);
        assert_string_equal(buf, "/etc/k/db.key");
        assert_int_equal(sb_key_path("/etc/k", SB_KEK, "auth", buf, 8), -ENAMETOOLONG);
}

static void test_loader_conf(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        assert_int_equal(sb_loader_conf(NULL, &a), 1);
        assert_string_equal(a, "secure-boot-enroll force\n");
        assert_int_equal(sb_loader_conf("timeout 3\ndefault koompi-*\neditor no\n", &b), 1);
        assert_string_equal(b, "timeout 3\ndefault koompi-*\neditor no\nsecure-boot-enroll force\n");
        /* A line of that key replaced in place, a second one dropped, a last line without newline. */
        assert_int_equal(
                sb_loader_conf("secure-boot-enroll off\ntimeout 3\n  secure-boot-enroll manual\neditor no",
                               &c),
                1);
        assert_string_equal(c, "secure-boot-enroll force\ntimeout 3\neditor no\n");
        /* Already so: unchanged. */
        assert_int_equal(sb_loader_conf(c, &d), 0);
        assert_string_equal(d, c);
}

static void test_var_bool(void **state) {
        const unsigned char on[] = { 6, 0, 0, 0, 1 }, off[] = { 6, 0, 0, 0, 0 }, odd[] = { 6, 0, 0, 0, 2 };
        assert_int_equal(sb_var_bool(on, sizeof on), 1);
        assert_int_equal(sb_var_bool(off, sizeof off), 0);
        assert_int_equal(sb_var_bool(odd, sizeof odd), -EBADMSG);
        assert_int_equal(sb_var_bool(on, 4), -EBADMSG);
        assert_int_equal(sb_var_bool(NULL, 5), -EBADMSG);
}

static void test_state_read(void **state) {
        char dir[TL_TMP_MAX];
        struct sb_state s;

        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "efivars"), 0);
        sb_state_read(dir, &s);
        assert_int_equal(s.secure_boot, -1);
        assert_int_equal(s.setup_mode, -1);
        tl_write_file(tl_path(dir, "SecureBoot-" SB_GLOBAL_GUID), "\x06\0\0\0\x01", 5, 0644);
        tl_write_file(tl_path(dir, "SetupMode-" SB_GLOBAL_GUID), "\x06\0\0\0\0", 5, 0644);
        sb_state_read(dir, &s);
        assert_int_equal(s.secure_boot, 1);
        assert_int_equal(s.setup_mode, 0);
        tl_write_file(tl_path(dir, "SetupMode-" SB_GLOBAL_GUID), "\x06\0\0\0\0\0", 6, 0644);
        sb_state_read(dir, &s);
        assert_int_equal(s.setup_mode, -1);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_keys_dir_check(void **state) {
        char dir[TL_TMP_MAX];
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "sbdir"), 0);
        assert_int_equal(sb_keys_dir_check(dir), 0);
        /* Not made yet: its parent says. */
        assert_int_equal(sb_keys_dir_check(tl_path(dir, "keys")), 0);
        assert_int_equal(sb_keys_dir_check("/nonexistent/a/b"), -ENOENT);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_tool_run(void **state) {
        _cleanup_free_ char *err = NULL;
        char *untouched = NULL, *out = NULL;
        char *echo[] = { (char *)"sh", (char *)"-c", (char *)"echo said; echo oops >&2", NULL };
        char *fails[] = { (char *)"sh", (char *)"-c", (char *)"echo said; echo broken >&2; exit 3", NULL };
        char *missing[] = { (char *)"koompi-no-such-tool", NULL };

        /* What a tool that worked said is not kept. */
        assert_int_equal(tool_run(echo, &out), 0);
        assert_null(out);
        assert_int_equal(tool_run(fails, &err), -EIO);
        assert_string_equal(err, "said\nbroken\n");
        assert_int_equal(tool_run(missing, &untouched), -ENOENT);
        assert_null(untouched);
        assert_int_equal(tool_run(NULL, NULL), -EINVAL);
}

static void test_tool_output_kept_short(void **state) {
        _cleanup_free_ char *out = NULL;
        char *loud[] = { (char *)"sh", (char *)"-c", (char *)"seq 1 5000; echo last; exit 1", NULL };
        assert_int_equal(tool_run(loud, &out), -EIO);
        assert_true(strlen(out) <= TOOL_OUTPUT_MAX);
        assert_true(endswith(out, "5000\nlast\n"));
}

static bool have(const char *tools) {
        return tl_run(NULL, false, "for t in %s; do command -v $t >/dev/null || exit 1; done", tools) == 0;
}

/* The real tools: keys made 0600, refused a second time, the .auth files, a signature checked. */
static void test_keygen_auth_sign(void **state) {
        char dir[TL_TMP_MAX], keys[PATH_MAX / 2], work[PATH_MAX / 2], path[PATH_MAX];
        _cleanup_free_ char *said = NULL;
        struct stat st;

        if (!have("openssl cert-to-efi-sig-list sign-efi-sig-list sbsign sbverify") ||
            access(UKI_STUB, R_OK) < 0)
                skip();
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "sbkeys"), 0);
        snprintf(keys, sizeof keys, "%s/keys", dir);
        snprintf(work, sizeof work, "%s/work", dir);
        assert_int_equal(mkdir(work, 0700), 0);
        assert_int_equal(sb_keygen(keys, "koompi test", &said), 0);
        assert_int_equal(stat(keys, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        for (int k = 0; k < SB_N_KEYS; k++) {
                sb_key_path(keys, (enum sb_key)k, "key", path, sizeof path);
                assert_int_equal(stat(path, &st), 0);
                assert_int_equal(st.st_mode & 0777, 0600);
                assert_true(st.st_size > 1000);
        }
        assert_int_equal(tl_run(NULL, false, "grep -Eqx '[0-9a-f-]{36}' %s/GUID", keys), 0);
        assert_int_equal(tl_run(NULL, false,
                                "openssl x509 -noout -subject -in %s/db.crt | grep -q 'koompi test db'",
                                keys),
                         0);
        assert_int_equal(sb_keygen(keys, "koompi test", NULL), -EEXIST);

        assert_int_equal(sb_auth_make(keys, work, NULL), 0);
        for (int k = 0; k < SB_N_KEYS; k++) {
                sb_key_path(work, (enum sb_key)k, "auth", path, sizeof path);
                assert_int_equal(stat(path, &st), 0);
                assert_true(st.st_size > 100);
        }
        snprintf(path, sizeof path, "%s/signed.efi", work);
        assert_int_equal(sb_sign(keys, UKI_STUB, path, NULL), 0);
        assert_int_equal(sb_verify(keys, path), 1);
        assert_int_equal(sb_verify(keys, UKI_STUB), 0);
        assert_int_equal(sb_verify(work, path), -ENOENT);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

/* A half-made key folder is not taken: keygen refuses and auth_make says what is missing. */
static void test_missing_keys(void **state) {
        char dir[TL_TMP_MAX];
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "sbhalf"), 0);
        tl_write_text(tl_path(dir, "KEK.crt"), "x");
        assert_int_equal(sb_keygen(dir, "koompi test", NULL), -EEXIST);
        assert_int_equal(sb_auth_make(dir, dir, NULL), -ENOENT);
        assert_int_equal(sb_sign(dir, UKI_STUB, tl_path(dir, "out.efi"), NULL), -ENOENT);
        assert_int_equal(access(tl_path(dir, "out.efi"), F_OK), -1);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_names),
                cmocka_unit_test(test_loader_conf),
                cmocka_unit_test(test_var_bool),
                cmocka_unit_test(test_state_read),
                cmocka_unit_test(test_keys_dir_check),
                cmocka_unit_test(test_tool_run),
                cmocka_unit_test(test_tool_output_kept_short),
                cmocka_unit_test(test_keygen_auth_sign),
                cmocka_unit_test(test_missing_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
