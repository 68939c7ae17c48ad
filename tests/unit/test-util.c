/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helpers of src/basic that every layer shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "testlib.h"
#include "util.h"

static char dir[TL_TMP_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(dir, sizeof dir, "util") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir) < 0 ? -1 : 0;
}

static void test_fsync_dir(void **state) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(fsync_dir(fd), 0);
        close(fd);
        assert_int_equal(fsync_dir(-1), -EBADF);
}

static void test_fsync_parent_dir(void **state) {
        const char *sub = tl_path(dir, "sub");
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(fsync_parent_dir(tl_path(sub, "file")), 0);
        /* The file need not exist; its directory must. */
        assert_int_equal(fsync_parent_dir(tl_path(dir, "missing/file")), -ENOENT);
        assert_int_equal(fsync_parent_dir("/etc"), 0);
        assert_int_equal(fsync_parent_dir("bare-name"), 0);
        char *long_path = malloc(PATH_MAX + 2);
        assert_non_null(long_path);
        memset(long_path, 'a', PATH_MAX + 1);
        long_path[PATH_MAX + 1] = 0;
        assert_int_equal(fsync_parent_dir(long_path), -ENAMETOOLONG);
        free(long_path);
}

static void test_fsync_renamed(void **state) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        const char *from = tl_path(dir, "renamed.tmp");
        int f = open(from, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(f >= 0);
        close(f);
        assert_int_equal(renameat(fd, "renamed.tmp", fd, "renamed"), 0);
        assert_int_equal(fsync_renamed(fd, "renamed"), 0);
        /* A directory renamed into place is synced the same way. */
        assert_int_equal(mkdirat(fd, "renamed-dir", 0755), 0);
        assert_int_equal(fsync_renamed(fd, "renamed-dir"), 0);
        assert_int_equal(fsync_renamed(fd, "renamed.tmp"), -ENOENT);
        assert_int_equal(symlinkat("renamed", fd, "link"), 0);
        assert_int_equal(fsync_renamed(fd, "link"), -ELOOP);
        close(fd);
}

static void test_write_file_atomic(void **state) {
        const char *p = tl_path(dir, "atomic");
        char *text = NULL;
        assert_int_equal(write_file_atomic(p, "one\n", 4, 0600), 0);
        assert_int_equal(write_file_atomic(p, "two\n", 4, 0600), 0);
        assert_int_equal(read_file(p, &text, NULL), 0);
        assert_string_equal(text, "two\n");
        free(text);
        assert_int_equal(write_file_atomic(tl_path(dir, "missing/atomic"), "x", 1, 0600), -ENOENT);
}

static void test_write_file_atomic_leaves_stale_temporary(void **state) {
        char stale[PATH_MAX], *text = NULL;
        const char *p = tl_path(dir, "stale");
        snprintf(stale, sizeof stale, "%s.tmp%d.0", p, (int)getpid());
        int fd = open(stale, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "left by a cut", 13), 13);
        close(fd);
        assert_int_equal(write_file_atomic(p, "new\n", 4, 0600), 0);
        assert_int_equal(read_file(p, &text, NULL), 0);
        assert_string_equal(text, "new\n");
        free(text);
        /* Not truncated, not reused. */
        assert_int_equal(read_file(stale, &text, NULL), 0);
        assert_string_equal(text, "left by a cut");
        free(text);
}

static void expect_json(const char *s, const char *want) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        assert_non_null(f);
        json_write_string(f, s);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(out, want);
        free(out);
}

static void test_json_write_string(void **state) {
        expect_json(NULL, "\"\"");
        expect_json("", "\"\"");
        expect_json("@root-2024", "\"@root-2024\"");
        expect_json("a\"b\\c\nd\te\x7f", "\"a\\\"b\\\\c\\nd\\u0009e\\u007f\"");
        /* Valid UTF-8 stays; a stray byte, an overlong form, a surrogate and a cut sequence
         * become U+FFFD, one per byte. */
        expect_json("ស្វាគមន៍ — é", "\"ស្វាគមន៍ — é\"");
        expect_json("a\xff!", "\"a\\ufffd!\"");
        expect_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");
        expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
        expect_json("x\xe2\x82", "\"x\\ufffd\\ufffd\"");
        expect_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fsync_dir),
                cmocka_unit_test(test_fsync_parent_dir),
                cmocka_unit_test(test_fsync_renamed),
                cmocka_unit_test(test_write_file_atomic),
                cmocka_unit_test(test_write_file_atomic_leaves_stale_temporary),
                cmocka_unit_test(test_json_write_string),
        };
        return cmocka_run_group_tests_name("util", tests, setup, teardown);
}
