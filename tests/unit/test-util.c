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

static char dir[PATH_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(dir, "util") < 0 ? -1 : 0;
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fsync_dir),
                cmocka_unit_test(test_fsync_parent_dir),
                cmocka_unit_test(test_write_file_atomic),
        };
        return cmocka_run_group_tests_name("util", tests, setup, teardown);
}
