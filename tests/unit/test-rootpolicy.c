/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rootpolicy.h"
#include "util.h"

/* ---- names ---- */

static void test_name_check(void **state) {
        assert_int_equal(root_name_check("@root-current"), 0);
        assert_int_equal(root_name_check("@root-2024-12-01.2"), 0);
        assert_int_equal(root_name_check("@root-Term_1"), 0);
        assert_int_equal(root_name_check("@root-"), -EINVAL);
        assert_int_equal(root_name_check("@root-.hidden"), -EINVAL);
        assert_int_equal(root_name_check("@home"), -EINVAL);
        assert_int_equal(root_name_check("@var"), -EINVAL);
        assert_int_equal(root_name_check("root-x"), -EINVAL);
        assert_int_equal(root_name_check("@root-a b"), -EINVAL);
        assert_int_equal(root_name_check("@root-a/b"), -EINVAL);
        assert_int_equal(root_name_check("@root-a+3"), -EINVAL);
        assert_int_equal(root_name_check("@root-\xc3\xa9"), -EINVAL);
        assert_int_equal(root_name_check(NULL), -EINVAL);
        char longname[ROOT_NAME_MAX + 2];
        memset(longname, 'a', sizeof longname);
        memcpy(longname, "@root-", 6);
        longname[ROOT_NAME_MAX] = 0;
        assert_int_equal(root_name_check(longname), 0);
        longname[ROOT_NAME_MAX] = 'a';
        longname[ROOT_NAME_MAX + 1] = 0;
        assert_int_equal(root_name_check(longname), -ENAMETOOLONG);
}

static void test_name_from_arg(void **state) {
        char buf[ROOT_NAME_MAX + 1];
        assert_int_equal(root_name_from_arg("term1", buf, sizeof buf), 0);
        assert_string_equal(buf, "@root-term1");
        assert_int_equal(root_name_from_arg("@root-term1", buf, sizeof buf), 0);
        assert_string_equal(buf, "@root-term1");
        assert_int_equal(root_name_from_arg("@home", buf, sizeof buf), -EINVAL);
        assert_int_equal(root_name_from_arg("", buf, sizeof buf), -EINVAL);
        assert_int_equal(root_name_from_arg("../x", buf, sizeof buf), -EINVAL);
        char small[8];
        assert_int_equal(root_name_from_arg("term1", small, sizeof small), -ENOBUFS);
}

static void test_name_generate(void **state) {
        char buf[ROOT_NAME_MAX + 1];
        assert_int_equal(root_name_generate(2024, 12, 1, NULL, 0, buf, sizeof buf), 0);
        assert_string_equal(buf, "@root-2024-12-01");

        const char *existing[] = { "@root-current", "@root-2024-12-01", "@root-2024-12-01.2" };
        assert_int_equal(root_name_generate(2024, 12, 1, existing, ELEMENTSOF(existing), buf, sizeof buf), 0);
        assert_string_equal(buf, "@root-2024-12-01.3");
        /* Another day is free again. */
        assert_int_equal(root_name_generate(2024, 12, 2, existing, ELEMENTSOF(existing), buf, sizeof buf), 0);
        assert_string_equal(buf, "@root-2024-12-02");
        /* A gap is reused: names are unique, not ordered (the generation orders roots). */
        const char *gap[] = { "@root-2025-01-31", "@root-2025-01-31.3" };
        assert_int_equal(root_name_generate(2025, 1, 31, gap, ELEMENTSOF(gap), buf, sizeof buf), 0);
        assert_string_equal(buf, "@root-2025-01-31.2");
}

static void test_name_generate_same_id(void **state) {
        char buf[ROOT_NAME_MAX + 1];
        /* A name differing only in case, or in a byte the entry ID maps to '_', is taken: the two
         * roots would share one boot loader entry. */
        const char *odd[] = { "@ROOT-2024-12-01", "@root-2024-12-01.2" };
        assert_int_equal(root_name_generate(2024, 12, 1, odd, ELEMENTSOF(odd), buf, sizeof buf), 0);
        assert_string_equal(buf, "@root-2024-12-01.3");
        assert_true(root_name_same_id("@root-a", "@ROOT-A"));
        assert_true(root_name_same_id("@root-a b", "@root-a_b"));
        assert_false(root_name_same_id("@root-a", "@root-b"));
        assert_false(root_name_same_id(NULL, "@root-b"));
}

static void test_name_generate_limits(void **state) {
        char buf[ROOT_NAME_MAX + 1], names[ROOT_NAME_SEQ_MAX][32];
        const char *existing[ROOT_NAME_SEQ_MAX];
        for (unsigned i = 0; i < ROOT_NAME_SEQ_MAX; i++) {
                if (i == 0)
                        snprintf(names[i], sizeof names[i], "@root-2024-02-29");
                else
                        snprintf(names[i], sizeof names[i], "@root-2024-02-29.%u", i + 1);
                existing[i] = names[i];
        }
        assert_int_equal(root_name_generate(2024, 2, 29, existing, ROOT_NAME_SEQ_MAX - 1, buf, sizeof buf), 0);
        assert_string_equal(buf, "@root-2024-02-29.999");
        assert_int_equal(root_name_generate(2024, 2, 29, existing, ROOT_NAME_SEQ_MAX, buf, sizeof buf), -EEXIST);
        assert_int_equal(root_name_generate(2024, 13, 1, NULL, 0, buf, sizeof buf), -EINVAL);
        assert_int_equal(root_name_generate(2024, 1, 0, NULL, 0, buf, sizeof buf), -EINVAL);
        assert_int_equal(root_name_generate(10000, 1, 1, NULL, 0, buf, sizeof buf), -EINVAL);
        char small[10];
        assert_int_equal(root_name_generate(2024, 1, 1, NULL, 0, small, sizeof small), -ENOBUFS);
}

/* ---- the next boot ---- */

static void test_bootnext(void **state) {
        struct bootnext_entry e[] = {
                { .id = "koompi-root-current.conf", .file = "koompi-root-current.conf", .version = 100 },
                { .id = "koompi-root-2024-12-01.conf", .file = "koompi-root-2024-12-01+3.conf", .version = 200 },
                { .id = "debian.conf", .file = "debian.conf", .version = 999 },
        };
        assert_int_equal(bootnext_choose("koompi-*", e, ELEMENTSOF(e)), 1);
        /* A spent entry goes after every other, whatever its version. */
        e[1].spent = true;
        assert_int_equal(bootnext_choose("koompi-*", e, ELEMENTSOF(e)), 0);
        /* Only spent entries: the newest of them. */
        e[0].spent = true;
        assert_int_equal(bootnext_choose("koompi-*", e, ELEMENTSOF(e)), 1);
        /* A pattern naming one entry (LoaderEntryDefault), matched by ID or file, any case. */
        assert_int_equal(bootnext_choose("KOOMPI-ROOT-CURRENT.conf", e, ELEMENTSOF(e)), 0);
        assert_int_equal(bootnext_choose("koompi-root-2024-12-01+3.conf", e, ELEMENTSOF(e)), 1);
        assert_int_equal(bootnext_choose("debian*", e, ELEMENTSOF(e)), 2);
        assert_int_equal(bootnext_choose("arch-*", e, ELEMENTSOF(e)), -ENOENT);
        assert_int_equal(bootnext_choose("", e, ELEMENTSOF(e)), -EINVAL);
        assert_int_equal(bootnext_choose("koompi-*", NULL, 0), -ENOENT);
}

static void test_bootnext_tie(void **state) {
        struct bootnext_entry e[] = {
                { .id = "koompi-root-a.conf", .version = 7 },
                { .id = "koompi-root-b.conf", .version = 7 },
        };
        assert_int_equal(bootnext_choose("koompi-*", e, ELEMENTSOF(e)), 1);
}

/* ---- rollback ---- */

static void test_rollback(void **state) {
        struct policy_root r[] = {
                { .name = "@root-factory", .generation = 10, .read_only = true, .good = true },
                { .name = "@root-current", .generation = 20, .read_only = true, .good = true },
                { .name = "@root-bad", .generation = 25, .read_only = true, .bad = true },
                { .name = "@root-new", .generation = 30, .read_only = true, .booted = true },
                { .name = "@root-wip", .generation = 40, .read_only = false, .good = true },
        };
        assert_int_equal(rollback_choose(r, ELEMENTSOF(r), 3), 1);
        /* From the current root: the factory one. */
        assert_int_equal(rollback_choose(r, ELEMENTSOF(r), 1), 0);
        assert_int_equal(rollback_choose(r, ELEMENTSOF(r), 0), -ENOENT);
        /* Good but later known bad does not count. */
        r[1].bad = true;
        assert_int_equal(rollback_choose(r, ELEMENTSOF(r), 3), 0);
        /* Never a root that is not read-only, even when newer ones are asked about. */
        assert_int_equal(rollback_choose(r, ELEMENTSOF(r), 4), 0);
        assert_int_equal(rollback_choose(r, ELEMENTSOF(r), 5), -EINVAL);
}

/* ---- retention ---- */

/* Twenty roots, generation 1..20 (index = generation - 1). */
static void twenty(struct policy_root *r, char names[][16]) {
        for (int i = 0; i < 20; i++) {
                snprintf(names[i], 16, "@root-%02d", i + 1);
                r[i] = (struct policy_root) { .name = names[i], .generation = (uint64_t)i + 1, .read_only = true };
        }
}

static void test_retention_newest(void **state) {
        struct policy_root r[20];
        char names[20][16];
        unsigned why[20];
        twenty(r, names);
        assert_int_equal(retention_choose(r, 20, 10, why), 10);
        for (int i = 0; i < 20; i++)
                assert_int_equal(why[i], i >= 10 ? RETAIN_NEWEST : 0);
        assert_int_equal(retention_choose(r, 20, 20, why), 0);
        assert_int_equal(retention_choose(r, 20, 25, why), 0);
        assert_int_equal(retention_choose(r, 20, 0, why), 20);
}

static void test_retention_protected(void **state) {
        struct policy_root r[20];
        char names[20][16];
        unsigned why[20];
        twenty(r, names);
        r[0].configured = true;   /* @root-01: boot.conf's snapshot */
        r[2].last_good = true;
        r[3].booted = true;
        r[4].pinned = true;
        r[5].in_trial = true;
        r[6].next = true;
        r[7].read_only = false;   /* an update being written */
        r[8].bad = true;          /* bad alone protects nothing */
        assert_int_equal(retention_choose(r, 20, 10, why), 3);
        assert_int_equal(why[0], RETAIN_CONFIGURED);
        assert_int_equal(why[1], 0);
        assert_int_equal(why[2], RETAIN_LAST_GOOD);
        assert_int_equal(why[3], RETAIN_BOOTED);
        assert_int_equal(why[4], RETAIN_PINNED);
        assert_int_equal(why[5], RETAIN_IN_TRIAL);
        assert_int_equal(why[6], RETAIN_NEXT);
        assert_int_equal(why[7], RETAIN_UNFINISHED);
        assert_int_equal(why[8], 0);
        assert_int_equal(why[9], 0);
        /* The writable root does not take a place among the newest. */
        for (int i = 10; i < 20; i++)
                assert_int_equal(why[i], RETAIN_NEWEST);
        r[19].booted = r[19].pinned = true;
        retention_choose(r, 20, 10, why);
        assert_int_equal(why[19], RETAIN_NEWEST | RETAIN_BOOTED | RETAIN_PINNED);
}

static void test_retention_order(void **state) {
        /* Given in any order; ties of generation go to the greater name. */
        struct policy_root r[] = {
                { .name = "@root-b", .generation = 5, .read_only = true },
                { .name = "@root-z", .generation = 9, .read_only = true },
                { .name = "@root-a", .generation = 5, .read_only = true },
        };
        unsigned why[3];
        assert_int_equal(retention_choose(r, 3, 2, why), 1);
        assert_int_equal(why[0], RETAIN_NEWEST);
        assert_int_equal(why[1], RETAIN_NEWEST);
        assert_int_equal(why[2], 0);
        assert_int_equal(retention_choose(r, 0, 2, why), 0);
}

static void test_retention_format(void **state) {
        char buf[128];
        assert_int_equal(retention_reasons_format(0, buf, sizeof buf), 0);
        assert_string_equal(buf, "");
        assert_int_equal(retention_reasons_format(RETAIN_NEWEST | RETAIN_PINNED, buf, sizeof buf), 0);
        assert_string_equal(buf, "newest, pinned");
        assert_int_equal(retention_reasons_format(RETAIN_BOOTED | RETAIN_NEXT | RETAIN_LAST_GOOD | RETAIN_IN_TRIAL |
                                                          RETAIN_CONFIGURED | RETAIN_UNFINISHED,
                                                  buf, sizeof buf),
                         0);
        assert_string_equal(buf, "booted, boots next, last good, in trial, configured default, unfinished");
        char small[8];
        assert_int_equal(retention_reasons_format(RETAIN_NEWEST | RETAIN_PINNED, small, sizeof small), -ENOBUFS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_check),
                cmocka_unit_test(test_name_from_arg),
                cmocka_unit_test(test_name_generate),
                cmocka_unit_test(test_name_generate_same_id),
                cmocka_unit_test(test_name_generate_limits),
                cmocka_unit_test(test_bootnext),
                cmocka_unit_test(test_bootnext_tie),
                cmocka_unit_test(test_rollback),
                cmocka_unit_test(test_retention_newest),
                cmocka_unit_test(test_retention_protected),
                cmocka_unit_test(test_retention_order),
                cmocka_unit_test(test_retention_format),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
