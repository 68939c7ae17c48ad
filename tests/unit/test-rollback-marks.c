/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The marks a rollback leaves (src/admin/rollback-marks.c): in the ledger, on the entries, and
 * what a second run does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rollback-marks.h"
#include "util.h"

/* Newest first, as koompi-boot lists them: a spent update, a writable one, the target (bad,
 * counted), an older good root without entry. */
static struct rollback_root roots[] = {
        { .name = "@root-new", .generation = 40, .read_only = true, .entry = "koompi-root-new+2-1.conf" },
        { .name = "@root-wip", .generation = 30, .read_only = false, .entry = "koompi-root-wip+3.conf" },
        { .name = "@root-spent", .generation = 25, .read_only = true, .entry = "koompi-root-spent+0-3.conf" },
        { .name = "@root-target",
          .generation = 20,
          .read_only = true,
          .entry = "koompi-root-target+0-3.conf" },
        { .name = "@root-old", .generation = 10, .read_only = true },
};
#define N_ROOTS ELEMENTSOF(roots)
#define TARGET 3

struct seen {
        char lines[8][160];
        size_t n;
};

static void record(const struct progress_event *e, void *userdata) {
        struct seen *s = userdata;
        assert_true(s->n < ELEMENTSOF(s->lines));
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%d %s %s %s", e->kind, e->root,
                 e->from ? e->from : "-", e->to ? e->to : "-");
}

static int setup(void **state) {
        for (size_t i = 0; i < N_ROOTS; i++)
                if (roots[i].entry)
                        assert_int_equal(entry_name_parse(roots[i].entry, ".conf", &roots[i].entry_name), 0);
        return 0;
}

static void test_newer(void **state) {
        struct rollback_root a = { .name = "@root-a", .generation = 5 },
                             b = { .name = "@root-b", .generation = 5 };
        assert_true(rollback_root_newer(&roots[0], &roots[1]));
        assert_false(rollback_root_newer(&roots[4], &roots[3]));
        /* Same generation: the name decides, one way only. */
        assert_true(rollback_root_newer(&b, &a));
        assert_false(rollback_root_newer(&a, &b));
        assert_false(rollback_root_newer(&a, &a));
}

static void test_ledger_marks(void **state) {
        struct ledger l;
        struct ledger_root_status ls;
        struct seen seen = {};

        ledger_init(&l);
        assert_int_equal(ledger_mark_root(&l, 100, "@root-spent", LEDGER_MARK_BAD, "before"), 0);
        assert_int_equal(ledger_mark_root(&l, 100, "@root-target", LEDGER_MARK_BAD, "failed"), 0);
        /* The newer read-only roots bad (@root-spent is already), the writable one left alone,
         * the bad target re-armed. */
        assert_int_equal(rollback_mark_ledger(&l, roots, N_ROOTS, TARGET, 3, 200, record, &seen), 2);
        assert_int_equal(seen.n, 2);
        assert_string_equal(seen.lines[0], "0 @root-new - -");
        assert_string_equal(seen.lines[1], "1 @root-target - -");
        ledger_root_status(&l, "@root-new", &ls);
        assert_int_equal(ls.mark, LEDGER_MARK_BAD);
        ledger_root_status(&l, "@root-wip", &ls);
        assert_false(ls.bad);
        ledger_root_status(&l, "@root-target", &ls);
        assert_false(ls.bad);
        ledger_root_status(&l, "@root-old", &ls);
        assert_false(ls.bad);
        /* Again: nothing left to mark. */
        assert_int_equal(rollback_mark_ledger(&l, roots, N_ROOTS, TARGET, 3, 300, NULL, NULL), 0);
        ledger_free(&l);
}

static void test_entry_names(void **state) {
        static const char *const want[N_ROOTS] = {
                "koompi-root-new+0-1.conf", NULL, NULL, "koompi-root-target+3.conf", NULL,
        };
        char name[ENTRY_NAME_MAX + 1];
        struct entry_name e;
        for (size_t i = 0; i < N_ROOTS; i++) {
                bool renamed = rollback_entry_name(roots, i, TARGET, 3, &e);
                assert_int_equal(renamed, want[i] != NULL);
                if (!renamed)
                        continue;
                assert_int_equal(entry_name_format(&e, name, sizeof name), 0);
                assert_string_equal(name, want[i]);
        }
}

static void touch(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
}

static void test_rename_entries(void **state) {
        char dir[] = "/tmp/test-rollback-marks.XXXXXX", cmd[64];
        struct seen seen = {};
        assert_non_null(mkdtemp(dir));
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        for (size_t i = 0; i < N_ROOTS; i++)
                if (roots[i].entry)
                        touch(dfd, roots[i].entry);

        assert_int_equal(rollback_rename_entries(dfd, roots, N_ROOTS, TARGET, 3, record, &seen), 0);
        assert_int_equal(seen.n, 2);
        assert_string_equal(seen.lines[0], "2 @root-new koompi-root-new+2-1.conf koompi-root-new+0-1.conf");
        assert_string_equal(seen.lines[1],
                            "2 @root-target koompi-root-target+0-3.conf koompi-root-target+3.conf");
        assert_int_equal(faccessat(dfd, "koompi-root-new+0-1.conf", F_OK, 0), 0);
        assert_int_equal(faccessat(dfd, "koompi-root-target+3.conf", F_OK, 0), 0);
        assert_int_equal(faccessat(dfd, "koompi-root-wip+3.conf", F_OK, 0), 0);

        /* A twin holding the new name: refused, never replaced. */
        touch(dfd, "koompi-root-new+2-1.conf");
        assert_int_equal(rollback_rename_entries(dfd, roots, N_ROOTS, TARGET, 3, NULL, NULL), -EEXIST);
        close(dfd);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_newer),
                cmocka_unit_test(test_ledger_marks),
                cmocka_unit_test(test_entry_names),
                cmocka_unit_test(test_rename_entries),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
