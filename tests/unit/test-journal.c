/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The record of a transaction in progress, the pins and the lock of the roots (src/admin). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "journal.h"
#include "util.h"

static int setup(void **state) {
        char *dir = strdup("/tmp/test-journal.XXXXXX");
        assert_non_null(dir);
        assert_non_null(mkdtemp(dir));
        *state = dir;
        return 0;
}

static int teardown(void **state) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
        assert_int_equal(system(cmd), 0);
        free(*state);
        return 0;
}

static void write_text(const char *dir, const char *file, const char *text) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void test_journal_round_trip(void **state) {
        const char *dir = *state;
        struct journal j = { .op = "update", .step = "started", .root = "@root-new", .from = "@root-old" },
                       got;
        assert_int_equal(journal_read(dir, &got), -ENOENT);
        assert_int_equal(journal_write(dir, &j), 0);
        assert_int_equal(journal_read(dir, &got), 0);
        assert_string_equal(got.op, "update");
        assert_string_equal(got.step, "started");
        assert_string_equal(got.root, "@root-new");
        assert_string_equal(got.from, "@root-old");
        assert_string_equal(got.kernel, "");
        journal_free(&got);
        /* The kernel of a root that carries none, for the run that finishes it. */
        snprintf(j.kernel, sizeof j.kernel, "/efi/vmlinuz");
        snprintf(j.initrd, sizeof j.initrd, "/efi/initrd.img");
        snprintf(j.options, sizeof j.options, "quiet rw=no koompi.x=a b");
        assert_int_equal(journal_write(dir, &j), 0);
        assert_int_equal(journal_read(dir, &got), 0);
        assert_string_equal(got.kernel, "/efi/vmlinuz");
        assert_string_equal(got.initrd, "/efi/initrd.img");
        assert_string_equal(got.options, "quiet rw=no koompi.x=a b");
        journal_free(&got);
        snprintf(j.options, sizeof j.options, "a\nop delete");
        assert_int_equal(journal_write(dir, &j), -EINVAL);
        assert_int_equal(journal_remove(dir), 0);
        assert_int_equal(journal_read(dir, &got), -ENOENT);
        assert_int_equal(journal_remove(dir), 0);
}

static void test_journal_delete_lists_roots(void **state) {
        const char *dir = *state;
        char *roots[] = { (char *)"@root-a", (char *)"@root-b", NULL };
        struct journal j = { .op = "delete", .roots = roots }, got;
        assert_int_equal(journal_write(dir, &j), 0);
        assert_int_equal(journal_read(dir, &got), 0);
        assert_string_equal(got.op, "delete");
        assert_int_equal(strv_length(got.roots), 2);
        assert_string_equal(got.roots[1], "@root-b");
        journal_free(&got);
}

/* A record read back and written again is the same file, not one with its root twice. */
static void test_journal_rewrite_is_stable(void **state) {
        const char *dir = *state;
        struct journal j = { .op = "update", .step = "sealed", .root = "@root-new", .from = "@root-old" },
                       got, again;
        assert_int_equal(journal_write(dir, &j), 0);
        assert_int_equal(journal_read(dir, &got), 0);
        assert_int_equal(journal_write(dir, &got), 0);
        assert_int_equal(journal_read(dir, &again), 0);
        assert_int_equal(strv_length(again.roots), 1);
        assert_string_equal(again.root, "@root-new");
        journal_free(&got);
        journal_free(&again);
}

/* What cannot be understood is never acted on: the output is left alone. */
static void test_journal_refuses_what_it_cannot_read(void **state) {
        const char *dir = *state;
        static const char *const bad[] = {
                "something else\nop update\nroot @root-x\n",
                "koompi-boot-transaction 1\nop frobnicate\nroot @root-x\n",
                "koompi-boot-transaction 1\nop update\n",
                "koompi-boot-transaction 1\nop delete\nroot @home\n",
                "koompi-boot-transaction 1\nop rollback\nroot ../@root-x\n",
                "",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct journal got = { .op = "untouched" };
                write_text(dir, JOURNAL_FILE, bad[i]);
                assert_int_equal(journal_read(dir, &got), -EBADMSG);
                assert_string_equal(got.op, "untouched");
        }
}

static void test_pins_round_trip(void **state) {
        const char *dir = *state;
        char *uuids[] = { (char *)"11111111-2222-3333-4444-555555555555",
                          (char *)"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", NULL };
        char *names[] = { (char *)"@root-a", NULL };
        char **got = NULL;
        assert_int_equal(pins_read(dir, &got), 0);
        assert_int_equal(strv_length(got), 0);
        strv_free(got);
        assert_int_equal(pins_write(dir, uuids, names), 0);
        assert_int_equal(pins_read(dir, &got), 0);
        assert_int_equal(strv_length(got), 2);
        assert_string_equal(got[0], uuids[0]);
        assert_string_equal(got[1], uuids[1]);
        strv_free(got);
}

static void test_pins_skip_what_is_not_a_uuid(void **state) {
        const char *dir = *state;
        char **got = NULL;
        write_text(dir, PINS_FILE,
                   "koompi-boot-pins 1\nshort @root-a\n11111111-2222-3333-4444-555555555555 @root-b\n");
        assert_int_equal(pins_read(dir, &got), 0);
        assert_int_equal(strv_length(got), 1);
        strv_free(got);
}

static void test_roots_lock_is_exclusive(void **state) {
        const char *dir = *state;
        int fd = -1, fd2 = -1;
        assert_int_equal(roots_lock(dir, &fd), 0);
        assert_true(fd >= 0);
        assert_int_equal(roots_lock(dir, &fd2), -EBUSY);
        assert_int_equal(fd2, -1);
        close(fd);
        assert_int_equal(roots_lock(dir, &fd2), 0);
        close(fd2);
        assert_int_equal(roots_lock("/nonexistent/top", &fd2), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_journal_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_delete_lists_roots, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_rewrite_is_stable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_refuses_what_it_cannot_read, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pins_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pins_skip_what_is_not_a_uuid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_roots_lock_is_exclusive, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
