/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "entryfile.h"
#include "testlib.h"
#include "util.h"

static char dir[TL_TMP_MAX];
static int dirfd_;

static int setup(void **state) {
        if (tl_tmpdir_new(dir, sizeof dir, "entryfile") < 0)
                return -1;
        dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return dirfd_ < 0 ? -1 : 0;
}

static int teardown(void **state) {
        close(dirfd_);
        return tl_tmpdir_remove(dir) < 0 ? -1 : 0;
}

static bool exists(const char *name) {
        return access(tl_path(dir, name), F_OK) == 0;
}

static void test_rename_noreplace(void **state) {
        char *text = NULL;
        int fd = dirfd_;
        tl_write_text(tl_path(dir, "from"), "from\n");
        tl_write_text(tl_path(dir, "taken"), "taken\n");
        assert_int_equal(rename_noreplace(fd, "from", fd, "taken"), -EEXIST);
        assert_int_equal(read_file(tl_path(dir, "taken"), &text, NULL), 0);
        assert_string_equal(text, "taken\n");
        free(text);
        assert_int_equal(rename_noreplace(fd, "from", fd, "to"), 0);
        assert_int_equal(access(tl_path(dir, "from"), F_OK), -1);
        assert_int_equal(read_file(tl_path(dir, "to"), &text, NULL), 0);
        assert_string_equal(text, "from\n");
        free(text);
        assert_int_equal(rename_noreplace(fd, "from", fd, "again"), -ENOENT);
}

static void test_rename(void **state) {
        tl_write_text(tl_path(dir, "koompi-a+3.conf"), "title a\n");
        assert_int_equal(entry_file_rename(dirfd_, "koompi-a+3.conf", "koompi-a+2-1.conf"), 0);
        assert_false(exists("koompi-a+3.conf"));
        assert_true(exists("koompi-a+2-1.conf"));
        /* The same name: nothing to do. */
        assert_int_equal(entry_file_rename(dirfd_, "koompi-a+2-1.conf", "koompi-a+2-1.conf"), 0);
        assert_true(exists("koompi-a+2-1.conf"));
}

static void test_never_replaces(void **state) {
        char *text = NULL;
        tl_write_text(tl_path(dir, "koompi-b+1.conf"), "title old\n");
        tl_write_text(tl_path(dir, "koompi-b.conf"), "title twin\n");
        assert_int_equal(entry_file_rename(dirfd_, "koompi-b+1.conf", "koompi-b.conf"), -EEXIST);
        assert_true(exists("koompi-b+1.conf"));
        assert_int_equal(read_file(tl_path(dir, "koompi-b.conf"), &text, NULL), 0);
        assert_string_equal(text, "title twin\n");
        free(text);
        assert_int_equal(entry_file_rename(dirfd_, "koompi-gone.conf", "koompi-c.conf"), -ENOENT);
}

static void test_only_names_in_the_directory(void **state) {
        tl_write_text(tl_path(dir, "koompi-d.conf"), "title d\n");
        assert_int_equal(entry_file_rename(dirfd_, "koompi-d.conf", "../koompi-d.conf"), -EINVAL);
        assert_int_equal(entry_file_rename(dirfd_, "koompi-d.conf", ".koompi-d.conf.tmp"), -EINVAL);
        assert_int_equal(entry_file_rename(dirfd_, "koompi-d.conf", ""), -EINVAL);
        assert_int_equal(entry_file_rename(dirfd_, "", "koompi-d.conf"), -EINVAL);
        assert_int_equal(entry_file_rename(dirfd_, "sub/koompi-d.conf", "koompi-e.conf"), -EINVAL);
        assert_true(exists("koompi-d.conf"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rename_noreplace),
                cmocka_unit_test(test_rename),
                cmocka_unit_test(test_never_replaces),
                cmocka_unit_test(test_only_names_in_the_directory),
        };
        return cmocka_run_group_tests_name("entryfile", tests, setup, teardown);
}
