/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* download_release() without a network: what is left to fetch, and files already there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "download.h"
#include "testlib.h"
#include "util.h"

#define SHA_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static struct manifest_package packages[] = {
        { .name = (char *)"hello", .file = (char *)"hello.pkg", .size = 5, .sha256 = SHA_HELLO },
        { .name = (char *)"big", .file = (char *)"big.pkg", .size = 1000, .sha256 = SHA_HELLO },
};
static const struct manifest m = {
        .channel = (char *)"stable", .repo_path = (char *)"2026.12.2/", .packages = packages, .n_packages = 2
};
/* Nothing listens on port 9 of 127.0.0.1 here: a mirror that never answers. */
static char *const dead_mirror[] = { (char *)"http://127.0.0.1:9", NULL };
static const struct download_limits lim = { .connect_timeout_s = 2, .stall_timeout_s = 2 };

static void test_remaining(void **state) {
        char dir[TL_TMP_MAX];
        uint64_t left;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "download"), 0);
        assert_int_equal(download_remaining(&m, dir, &left), 0);
        assert_int_equal(left, 1005);
        tl_write_text(tl_path(dir, "big.pkg.part"), "0123456789");
        assert_int_equal(download_remaining(&m, dir, &left), 0);
        assert_int_equal(left, 995);
        tl_write_text(tl_path(dir, "hello.pkg"), "hello");
        assert_int_equal(download_remaining(&m, dir, &left), 0);
        assert_int_equal(left, 990);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_already_there(void **state) {
        char dir[TL_TMP_MAX];
        struct download_stats stats = { 0 };
        struct update_refusal why = { 0 };
        struct manifest one = m;
        one.n_packages = 1;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "download"), 0);
        tl_write_text(tl_path(dir, "hello.pkg"), "hello");
        assert_int_equal(download_release(dead_mirror, &one, dir, &lim, NULL, &stats, &why), 0);
        assert_int_equal(stats.fetched, 0);
        /* A file there that does not match is deleted, then fetched: here, from nowhere. */
        tl_write_text(tl_path(dir, "hello.pkg"), "hellO");
        assert_int_equal(download_release(dead_mirror, &one, dir, &lim, NULL, &stats, &why), -EIO);
        assert_int_equal(access(tl_path(dir, "hello.pkg"), F_OK), -1);
        assert_non_null(strstr(why.reason, "http://127.0.0.1:9/stable/2026.12.2/hello.pkg"));
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_no_mirror(void **state) {
        char *const none[] = { NULL };
        struct update_refusal why = { 0 };
        assert_int_equal(download_release(none, &m, "/tmp", &lim, NULL, NULL, &why), -EINVAL);
        assert_string_equal(why.reason, "no mirror is set");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_remaining),
                cmocka_unit_test(test_already_there),
                cmocka_unit_test(test_no_mirror),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
