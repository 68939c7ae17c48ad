/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* esp_check_writable(): a FAT the kernel made read-only must be seen before anything is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esp.h"

static void test_writable_dir(void **state) {
        char dir[] = "/tmp/koompi-test-esp.XXXXXX";
        assert_non_null(mkdtemp(dir));
        assert_int_equal(esp_check_writable(dir), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_missing(void **state) {
        assert_int_equal(esp_check_writable("/nonexistent/koompi-esp"), -ENOENT);
}

/* In a child with a mount namespace of its own: 0 when a read-only mount gave -EROFS, 1 when not,
 * 77 when mounts cannot be made here (not root). */
static int child_read_only(const char *dir) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 77;
        if (mount("tmpfs", dir, "tmpfs", MS_RDONLY, "size=64k") < 0)
                return 77;
        return esp_check_writable(dir) == -EROFS ? 0 : 1;
}

static void test_read_only_mount(void **state) {
        char dir[] = "/tmp/koompi-test-esp.XXXXXX";
        int status;
        assert_non_null(mkdtemp(dir));
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(child_read_only(dir));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        rmdir(dir);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip();
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_writable_dir),
                cmocka_unit_test(test_missing),
                cmocka_unit_test(test_read_only_mount),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
