/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "kernels.h"
#include "testlib.h"

static char root[TL_TMP_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(root, sizeof root, "kernels") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(root) < 0 ? -1 : 0;
}

static void test_newest(void **state) {
        char kver[64];
        assert_int_equal(kernel_find_newest(root, kver, sizeof kver), -ENOENT);
        tl_sh("mkdir -p '%s/usr/lib/modules'", root);
        assert_int_equal(kernel_find_newest(root, kver, sizeof kver), -ENOENT);
        tl_sh("cd '%s/usr/lib/modules' && "
              "mkdir 6.1.0 6.9.0-arch1 6.10.2-arch1 6.11.0 6.12.0 6.13.0 .6.14.0 && "
              "for k in 6.1.0 6.9.0-arch1 6.10.2-arch1 .6.14.0; do echo kernel > $k/vmlinuz; done && "
              ": > 6.12.0/vmlinuz && mkdir 6.13.0/vmlinuz",
              root);
        /* Version order, not string order; no vmlinuz, an empty one, a directory and a hidden
         * name do not count. */
        assert_int_equal(kernel_find_newest(root, kver, sizeof kver), 0);
        assert_string_equal(kver, "6.10.2-arch1");
        assert_int_equal(kernel_find_newest(root, kver, 5), -ENOBUFS);
        assert_string_equal(kver, "6.10.2-arch1");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_newest),
        };
        return cmocka_run_group_tests_name("kernels", tests, setup, teardown);
}
