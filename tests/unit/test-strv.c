/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

static void test_null_is_empty(void **state) {
        assert_int_equal(strv_length(NULL), 0);
        assert_false(strv_contains(NULL, ""));
        strv_free(NULL);
}

static void test_extend_consume(void **state) {
        char **v = NULL;
        assert_int_equal(strv_extend(&v, "a"), 0);
        assert_int_equal(strv_consume(&v, strdup("b")), 0);
        assert_int_equal(strv_extend(&v, ""), 0);
        assert_int_equal(strv_length(v), 3);
        assert_string_equal(v[0], "a");
        assert_string_equal(v[1], "b");
        assert_string_equal(v[2], "");
        assert_null(v[3]);
        assert_true(strv_contains(v, "b"));
        assert_true(strv_contains(v, ""));
        assert_false(strv_contains(v, "c"));
        assert_false(strv_contains(v, "ab"));
        strv_free(v);
}

static void test_split(void **state) {
        char **v = strv_split(" dm-crypt,btrfs\txts ,, ecb ");
        assert_int_equal(strv_length(v), 4);
        assert_string_equal(v[0], "dm-crypt");
        assert_string_equal(v[1], "btrfs");
        assert_string_equal(v[2], "xts");
        assert_string_equal(v[3], "ecb");
        strv_free(v);
        v = strv_split(NULL);
        assert_non_null(v);
        assert_int_equal(strv_length(v), 0);
        strv_free(v);
        /* Past the first allocation. */
        v = strv_split("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17");
        assert_int_equal(strv_length(v), 17);
        assert_string_equal(v[16], "17");
        strv_free(v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_null_is_empty),
                cmocka_unit_test(test_extend_consume),
                cmocka_unit_test(test_split),
        };
        return cmocka_run_group_tests_name("strv", tests, NULL, NULL);
}
