/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command sandbox (src/admin/sandbox.c) prints nothing: what fails in making it reaches the
 * caller's log function, from the child process where it failed, and the status is 127. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/* Runs in the child: the pipe carries the line to the test. */
static void to_pipe(int err, const char *what, void *userdata) {
        char line[512];
        int n = snprintf(line, sizeof line, "%d %s\n", err, what);
        if (n > 0 && write(*(int *)userdata, line, (size_t)n) < 0)
                return;
}

static void test_missing_root_is_told(void **state) {
        char *argv[] = { (char *)"/bin/true", NULL };
        char got[1024] = "";
        int p[2];

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(sandbox_run("/nonexistent/root", argv, NULL, to_pipe, &p[1]), 127);
        close(p[1]);
        ssize_t n = read(p[0], got, sizeof got - 1);
        close(p[0]);
        assert_true(n > 0);
        /* Without the privilege to make namespaces the namespaces fail; with it, the missing root. */
        assert_true(strstr(got, "namespaces") || strstr(got, "/nonexistent/root"));
        assert_true(got[0] == '-');
}

static void test_no_log_function(void **state) {
        char *argv[] = { (char *)"/bin/true", NULL };
        assert_int_equal(sandbox_run("/nonexistent/root", argv, NULL, NULL, NULL), 127);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_missing_root_is_told),
                cmocka_unit_test(test_no_log_function),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
