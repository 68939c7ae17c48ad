/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
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
        assert_int_equal(root_name_generate(2024, 2, 29, existing, ROOT_NAME_SEQ_MAX - 1, buf, sizeof buf),
                         0);
        assert_string_equal(buf, "@root-2024-02-29.999");
        assert_int_equal(root_name_generate(2024, 2, 29, existing, ROOT_NAME_SEQ_MAX, buf, sizeof buf),
                         -EEXIST);
        assert_int_equal(root_name_generate(2024, 13, 1, NULL, 0, buf, sizeof buf), -EINVAL);
        assert_int_equal(root_name_generate(2024, 1, 0, NULL, 0, buf, sizeof buf), -EINVAL);
        assert_int_equal(root_name_generate(10000, 1, 1, NULL, 0, buf, sizeof buf), -EINVAL);
        char small[10];
        assert_int_equal(root_name_generate(2024, 1, 1, NULL, 0, small, sizeof small), -ENOBUFS);
}

/* ---- the next boot ---- */

static void test_bootnext(void **state) {
        struct bootnext_entry e[] = {
                { .id = "koompi-root-current.conf",
                  .file = "koompi-root-current.conf",
                  .version = "100",
                  .sort_key = "koompi" },
                { .id = "koompi-root-2024-12-01.conf",
                  .file = "koompi-root-2024-12-01+3.conf",
                  .version = "200",
                  .sort_key = "koompi" },
                { .id = "debian.conf", .file = "debian.conf", .version = "999", .sort_key = "koompi" },
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
                { .id = "koompi-root-a.conf", .version = "7", .sort_key = "koompi" },
                { .id = "koompi-root-b.conf", .version = "7", .sort_key = "koompi" },
        };
        assert_int_equal(bootnext_choose("koompi-*", e, ELEMENTSOF(e)), 1);
}

/* "Which entry boots next" against systemd-boot's order, one menu per row. */
struct menu_entry {
        const char *file; /* as on the ESP; the ID is derived from it */
        const char *version;
        const char *sort_key;
};

struct menu_row {
        const char *what;
        const char *pattern; /* NULL: no default */
        struct menu_entry entries[4];
        int expect; /* index, or -ENOENT */
};

static const struct menu_row menus[] = {
        { "greater version first",
          "koompi-*",
          { { "koompi-root-a.conf", "10", "koompi" }, { "koompi-root-b.conf", "9", "koompi" } },
          0 },
        { "versions compared as versions, not strings",
          "koompi-*",
          { { "koompi-root-a.conf", "9", "koompi" }, { "koompi-root-b.conf", "10", "koompi" } },
          1 },
        { "same version: the greater ID as a version (.10 after .2)",
          "koompi-*",
          { { "koompi-root-2024-12-01.2.conf", "5", "koompi" },
            { "koompi-root-2024-12-01.10.conf", "5", "koompi" },
            { "koompi-root-2024-12-01.conf", "5", "koompi" } },
          1 },
        { "same version: .2 after the plain day",
          "koompi-*",
          { { "koompi-root-2024-12-01.conf", "5", "koompi" },
            { "koompi-root-2024-12-01.2.conf", "5", "koompi" } },
          1 },
        { "versions that are days",
          "koompi-*",
          { { "koompi-root-a.conf", "2024-12-01.2", "koompi" },
            { "koompi-root-b.conf", "2024-12-01.10", "koompi" },
            { "koompi-root-c.conf", "2024-12-01", "koompi" } },
          1 },
        { "a spent entry last, though newest",
          "koompi-*",
          { { "koompi-root-new+0-3.conf", "20", "koompi" }, { "koompi-root-old.conf", "10", "koompi" } },
          1 },
        { "a marked bad entry (+0) last",
          "koompi-*",
          { { "koompi-root-new+0.conf", "20", "koompi" }, { "koompi-root-old+3.conf", "10", "koompi" } },
          1 },
        { "an entry in trial is not spent",
          "koompi-*",
          { { "koompi-root-new+1-2.conf", "20", "koompi" }, { "koompi-root-old.conf", "10", "koompi" } },
          0 },
        { "every entry spent: the first of them",
          "koompi-*",
          { { "koompi-root-a+0-3.conf", "10", "koompi" }, { "koompi-root-b+0-3.conf", "20", "koompi" } },
          1 },
        { "no default: the first of the menu, koompi or not",
          NULL,
          { { "koompi-root-a.conf", "10", "koompi" }, { "arch.conf", "1", "arch" } },
          1 },
        { "no default: an entry with a sort-key before one without",
          NULL,
          { { "zz.conf", "99", NULL }, { "koompi-root-a.conf", "10", "koompi" } },
          1 },
        { "a pattern names one entry, matched without regard to case",
          "KOOMPI-ROOT-A.CONF",
          { { "koompi-root-a.conf", "10", "koompi" }, { "koompi-root-b.conf", "20", "koompi" } },
          0 },
        { "a pattern matches the ID without the counter",
          "koompi-root-b.conf",
          { { "koompi-root-a.conf", "10", "koompi" }, { "koompi-root-b+2-1.conf", "20", "koompi" } },
          1 },
        { "an explicit default keeps a spent entry (it is all that matches)",
          "koompi-root-b.conf",
          { { "koompi-root-a.conf", "10", "koompi" }, { "koompi-root-b+0-3.conf", "20", "koompi" } },
          1 },
        { "a pattern matching several",
          "koompi-root-2024-*",
          { { "koompi-root-2024-11-01.conf", "10", "koompi" },
            { "koompi-root-2024-12-01+3.conf", "20", "koompi" },
            { "koompi-root-factory.conf", "30", "koompi" } },
          1 },
        { "nothing matches", "debian-*", { { "koompi-root-a.conf", "10", "koompi" } }, -ENOENT },
        { "no entry at all", NULL, { { NULL } }, -ENOENT },
};

static size_t menu_fill(const struct menu_row *m, struct bootnext_entry *b, char ids[][64]) {
        size_t n = 0;
        for (; n < ELEMENTSOF(m->entries) && m->entries[n].file; n++) {
                struct entry_name e;
                assert_int_equal(entry_name_parse(m->entries[n].file, ".conf", &e), 0);
                assert_int_equal(entry_name_id(&e, ids[n], 64), 0);
                b[n] = (struct bootnext_entry) { .id = ids[n],
                                                 .file = m->entries[n].file,
                                                 .version = m->entries[n].version,
                                                 .sort_key = m->entries[n].sort_key,
                                                 .spent = entry_name_state(&e) == ENTRY_BAD,
                                                 .counted = e.has_counter,
                                                 .left = e.left,
                                                 .done = e.done };
        }
        return n;
}

static void test_bootnext_table(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(menus); i++) {
                struct bootnext_entry b[4];
                char ids[4][64];
                size_t n = menu_fill(&menus[i], b, ids);
                print_message("%s\n", menus[i].what);
                assert_int_equal(bootnext_choose(menus[i].pattern, b, n), menus[i].expect);
        }
}

/* Equal but for the counter: more tries left first, then fewer done. */
static void test_bootnext_tries(void **state) {
        struct bootnext_entry e[] = {
                { .id = "x.conf", .version = "1", .sort_key = "k", .counted = true, .left = 1, .done = 2 },
                { .id = "x.conf", .version = "1", .sort_key = "k", .counted = true, .left = 2, .done = 1 },
                { .id = "x.conf", .version = "1", .sort_key = "k", .counted = true, .left = 2, .done = 0 },
        };
        assert_int_equal(bootnext_choose(NULL, e, ELEMENTSOF(e)), 2);
        assert_int_equal(bootnext_choose(NULL, e, 2), 1);
        assert_int_equal(bootnext_choose(NULL, NULL, 1), -EINVAL);
}

static void test_version_compare(void **state) {
        static const struct {
                const char *a, *b;
                int sign;
        } rows[] = {
                { "1", "1", 0 },
                { "2", "10", -1 },
                { "2024-12-01", "2024-12-01.2", -1 },
                { "2024-12-01.2", "2024-12-01.10", -1 },
                { "2024-12-01.10", "2024-12-01", 1 },
                { "koompi-root-2024-12-01.conf", "koompi-root-2024-12-01.2.conf", -1 },
                { "koompi-root-2024-12-01.10.conf", "koompi-root-2024-12-01.2.conf", 1 },
                { "koompi-root-current.conf", "koompi-root-2024-12-01.conf", -1 },
                { "koompi-root-a.conf", "koompi-root-b.conf", -1 },
                { "1~rc1", "1", -1 },
                { "1.0~rc1", "1.0~rc2", -1 },
                { "123-9", "123.1-1", -1 },
                { "1^patch", "1", 1 },
                { "1.1", "1.1a", -1 },
                { "007", "7", 0 },
                { "abc", "abcde", -1 },
                { "a", "1", -1 },
                { "", "1", -1 },
                { NULL, "1", -1 },
                { NULL, NULL, 0 },
                { "1", NULL, 1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                int r = version_compare(rows[i].a, rows[i].b);
                int s = (r > 0) - (r < 0);
                if (s != rows[i].sign)
                        fail_msg("version_compare(\"%s\", \"%s\") = %d, expected %d",
                                 rows[i].a ? rows[i].a : "NULL", rows[i].b ? rows[i].b : "NULL", s,
                                 rows[i].sign);
                r = version_compare(rows[i].b, rows[i].a);
                assert_int_equal((r > 0) - (r < 0), -rows[i].sign);
        }
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
                r[i] = (struct policy_root) { .name = names[i],
                                              .generation = (uint64_t)i + 1,
                                              .read_only = true };
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
        r[0].configured = true; /* @root-01: boot.conf's snapshot */
        r[2].last_good = true;
        r[3].booted = true;
        r[4].pinned = true;
        r[5].in_trial = true;
        r[6].next = true;
        r[7].read_only = false; /* an update being written */
        r[8].bad = true; /* bad alone protects nothing */
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
        assert_int_equal(retention_reasons_format(RETAIN_BOOTED | RETAIN_NEXT | RETAIN_LAST_GOOD |
                                                          RETAIN_IN_TRIAL | RETAIN_CONFIGURED |
                                                          RETAIN_UNFINISHED,
                                                  buf, sizeof buf),
                         0);
        assert_string_equal(buf, "booted, boots next, last good, in trial, configured default, unfinished");
        char small[8];
        assert_int_equal(retention_reasons_format(RETAIN_NEWEST | RETAIN_PINNED, small, sizeof small),
                         -ENOBUFS);
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
                cmocka_unit_test(test_bootnext_table),
                cmocka_unit_test(test_bootnext_tries),
                cmocka_unit_test(test_version_compare),
                cmocka_unit_test(test_rollback),
                cmocka_unit_test(test_retention_newest),
                cmocka_unit_test(test_retention_protected),
                cmocka_unit_test(test_retention_order),
                cmocka_unit_test(test_retention_format),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
