/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "loaderdefault.h"
#include "util.h"

#define PATTERN "koompi-*"

static const char *choose(const struct default_candidate *c, size_t n) {
        static char buf[256];
        assert_int_equal(loader_default_choose(c, n, PATTERN, buf, sizeof buf), 0);
        return buf;
}

static void test_koompi_entries(void **state) {
        const struct default_candidate c[] = {
                { "koompi-root-a.conf", false, 10 },
                { "koompi-root-b+3.conf", false, 20 },
                { "school-old.conf", false, 5 },
        };
        assert_string_equal(choose(c, ELEMENTSOF(c)), PATTERN);
        assert_string_equal(choose(NULL, 0), PATTERN);
}

static void test_hand_named_newest(void **state) {
        struct default_candidate c[] = {
                { "koompi-root-a.conf", false, 10 },
                { "School-Image+2-1.conf", false, 20 },
        };
        /* Its ID as systemd-boot matches it: no counter, lower case. */
        assert_string_equal(choose(c, ELEMENTSOF(c)), "school-image.conf");
        /* Spent: the newest entry not spent instead. */
        c[1].file = "School-Image+0-3.conf";
        assert_string_equal(choose(c, ELEMENTSOF(c)), PATTERN);
        /* Every entry spent: the newest. */
        c[0].file = "koompi-root-a+0-3.conf";
        assert_string_equal(choose(c, ELEMENTSOF(c)), "school-image.conf");
}

static void test_not_pinned(void **state) {
        struct default_candidate c[] = {
                { "koompi-root-a.conf", false, 10 },
                { "school*.conf", false, 20 },
        };
        /* A glob character in the ID would match other entries: not pinned. */
        assert_string_equal(choose(c, ELEMENTSOF(c)), PATTERN);
        c[1].file = "my image.conf";
        assert_string_equal(choose(c, ELEMENTSOF(c)), PATTERN);
        /* A name that is no entry's is skipped. */
        c[1].file = "school";
        assert_string_equal(choose(c, ELEMENTSOF(c)), PATTERN);
        c[1].file = NULL;
        assert_string_equal(choose(c, ELEMENTSOF(c)), PATTERN);
}

static void test_uki_and_room(void **state) {
        const struct default_candidate c[] = {
                { "koompi-root-a.efi", true, 10 },
                { "school.conf", false, 20 },
        };
        char small[8];
        assert_string_equal(choose(c, ELEMENTSOF(c)), "school.conf");
        assert_int_equal(loader_default_choose(c, ELEMENTSOF(c), PATTERN, small, sizeof small), -ENOBUFS);
        assert_string_equal(choose(c, 1), PATTERN);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_koompi_entries),
                cmocka_unit_test(test_hand_named_newest),
                cmocka_unit_test(test_not_pinned),
                cmocka_unit_test(test_uki_and_room),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
