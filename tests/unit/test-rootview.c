/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The view of the roots without Btrfs: the entries on an ESP directory, the default pattern,
 * the entry booted next, the ledger, what is unknown. The roots themselves are covered by the
 * host tests (real Btrfs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootview.h"
#include "testlib.h"
#include "util.h"

static char esp[TL_TMP_MAX];

static void put(const char *rel, const char *text) {
        tl_write_text(tl_path(esp, rel), text);
}

static void entry(const char *file, const char *version, const char *sort_key) {
        char rel[PATH_MAX], text[512];
        snprintf(rel, sizeof rel, "loader/entries/%s", file);
        snprintf(text, sizeof text, "title %s\nversion %s\nsort-key %s\nlinux /koompi/0123abcd/vmlinuz\n",
                 file, version, sort_key);
        put(rel, text);
}

static int setup(void **state) {
        if (tl_tmpdir_new(esp, sizeof esp, "rootview") < 0 || mkdir(tl_path(esp, "loader"), 0755) < 0 ||
            mkdir(tl_path(esp, "loader/entries"), 0755) < 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(esp);
}

static const char *next_file(const struct root_view *v) {
        return v->next_entry >= 0 ? v->entries[v->next_entry].file : NULL;
}

static void test_no_top_no_esp(void **state) {
        struct root_view v;
        struct root_view_input in = {};
        assert_int_equal(root_view_load(&in, &v), 0);
        assert_int_equal(v.roots_error, -ENOENT);
        assert_int_equal(v.esp_error, -ENOENT);
        assert_int_equal(v.n_roots, 0);
        assert_int_equal(v.n_entries, 0);
        assert_int_equal(v.next, -1);
        assert_int_equal(v.next_entry, -1);
        assert_int_equal(v.booted, -1);
        assert_null(v.next_source);
        assert_int_equal(root_view_find(&v, "@root-x"), -1);
        const char *why = "x";
        assert_int_equal(root_view_current(&v, &why), -1);
        assert_null(why);
        root_view_free(&v);
        assert_int_equal(root_view_load(NULL, &v), -EINVAL);
        assert_int_equal(root_view_load(&in, NULL), -EINVAL);
}

static void test_entries_and_next(void **state) {
        struct root_view v;
        char *pins[] = { (char *)"0b7b2a5e-0000-4000-8000-000000000001", NULL };
        struct root_view_input in = { .esp = esp, .pins = pins, .booted = "@root-x" };

        entry("koompi-root-2024-12-01.2+3.conf", "7", "koompi");
        entry("koompi-root-2024-12-01.10+0-3.conf", "7", "koompi");
        entry("koompi-root-2024-12-01.conf", "7", "koompi");
        entry("arch.conf", "1", "arch");
        put("loader/loader.conf", "timeout 3\ndefault koompi-*\n");
        assert_int_equal(root_view_load(&in, &v), 0);
        assert_int_equal(v.esp_error, 0);
        assert_int_equal(v.n_entries, 4);
        assert_string_equal(v.next_pattern, "koompi-*");
        assert_string_equal(v.next_source, "loader/loader.conf");
        /* .10 is spent; .2 is the greater ID as a version. */
        assert_string_equal(next_file(&v), "koompi-root-2024-12-01.2+3.conf");
        assert_int_equal(v.next, -1); /* no roots known */
        for (size_t i = 0; i < v.n_entries; i++) {
                const struct root_view_entry *e = &v.entries[i];
                assert_int_equal(e->root, -1);
                assert_string_equal(e->version, streq(e->file, "arch.conf") ? "1" : "7");
                assert_true(e->koompi == !streq(e->file, "arch.conf"));
                assert_string_equal(e->kernel, e->koompi ? "0123abcd" : "");
        }
        assert_string_equal(v.pins[0], pins[0]);
        assert_null(v.pins[1]);
        root_view_free(&v);

        /* A default matching nothing, then none: the first entry of the menu. */
        put("loader/loader.conf", "default debian-*\n");
        assert_int_equal(root_view_load(&in, &v), 0);
        assert_string_equal(next_file(&v), "arch.conf");
        root_view_free(&v);
        put("loader/loader.conf", "timeout 3\n");
        assert_int_equal(root_view_load(&in, &v), 0);
        assert_string_equal(v.next_pattern, "");
        assert_null(v.next_source);
        assert_string_equal(next_file(&v), "arch.conf");
        root_view_free(&v);
}

static void test_ledger(void **state) {
        struct root_view v;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s", tl_path(esp, "ledger"));
        struct root_view_input in = { .esp = esp, .ledger = path };

        assert_int_equal(root_view_load(&in, &v), 0);
        assert_int_equal(v.ledger_error, 0); /* missing: an empty ledger */
        assert_null(v.last_good_boot);
        root_view_free(&v);
        put("ledger",
            "koompi-boot-ledger 1\nboot 1 1732400000 koompi-root-a.conf @root-a - good good -\n"
            "boot 2 1732400100 koompi-root-b.conf @root-b - switched failed -\n");
        assert_int_equal(root_view_load(&in, &v), 0);
        assert_int_equal(v.ledger_error, 0);
        assert_non_null(v.last_good_boot);
        assert_string_equal(v.last_good_boot->root, "@root-a");
        assert_int_equal(v.last_good, -1); /* no such root known */
        root_view_free(&v);
        assert_int_equal(chmod(esp, 0), 0);
        if (access(path, R_OK) < 0) { /* not when root reads anyway */
                assert_int_equal(root_view_load(&in, &v), 0);
                assert_true(v.ledger_error < 0);
                assert_true(v.esp_error < 0);
                root_view_free(&v);
        }
        assert_int_equal(chmod(esp, 0755), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_top_no_esp),
                cmocka_unit_test_setup_teardown(test_entries_and_next, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ledger, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
