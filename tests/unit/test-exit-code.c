/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-boot's one mapping from negative errno to the exit status koompi-boot(8) documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "exit-code.h"

static void test_documented_table(void **state) {
        static const struct {
                int r, code;
        } table[] = {
                { 0, 0 },          { -EINVAL, 1 }, { -ENOENT, 2 }, { -ENODATA, 2 }, { -EBADMSG, 2 },
                { -ENOMEDIUM, 2 }, { -EPERM, 3 },  { -EBUSY, 3 },  { -EEXIST, 3 },  { -ENOTEMPTY, 3 },
                { -ECANCELED, 3 }, { -ENOSPC, 4 }, { -EIO, 5 },    { -EROFS, 5 },   { -ECHILD, 6 },
        };
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
                assert_int_equal(exit_code_from_errno(table[i].r), table[i].code);
}

static void test_names_match_numbers(void **state) {
        assert_int_equal(EXIT_USAGE, 1);
        assert_int_equal(EXIT_NO_STATE, 2);
        assert_int_equal(EXIT_REFUSED, 3);
        assert_int_equal(EXIT_ESP_FULL, 4);
        assert_int_equal(EXIT_WRITE_FAILED, 5);
        assert_int_equal(EXIT_COMMAND_FAILED, 6);
}

/* Whatever else fails part way is a failed write: never a success, never "bad usage". */
static void test_others_are_write_failures(void **state) {
        const int others[] = { -ENOMEM, -EACCES, -ENAMETOOLONG, -EFBIG, -EXDEV, -EAGAIN, -E2BIG, 1, 6 };
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
                assert_int_equal(exit_code_from_errno(others[i]), EXIT_WRITE_FAILED);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_documented_table),
                cmocka_unit_test(test_names_match_numbers),
                cmocka_unit_test(test_others_are_write_failures),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
