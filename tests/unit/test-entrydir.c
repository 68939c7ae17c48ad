/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The entry of a root in loader/entries, as koompi-init finds it at boot: by the root its
 * options name, whatever the file is called. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "entrydir.h"
#include "testlib.h"
#include "util.h"

static char dir[TL_TMP_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(dir, sizeof dir, "entrydir") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir) < 0 ? -1 : 0;
}

static void put(const char *file, const char *options) {
        char text[512];
        snprintf(text, sizeof text, "title %s\nlinux /vmlinuz\noptions %s\n", file, options);
        tl_write_text(tl_path(dir, file), text);
}

static void expect_entry(const char *root, const char *file, bool counted) {
        char found[ENTRY_NAME_MAX + 1] = "";
        struct entry_name e;
        assert_int_equal(entry_dir_find_root(dir, root, found, sizeof found, &e), 0);
        assert_string_equal(found, file);
        assert_int_equal(e.has_counter, counted);
}

/* After three failed boots of a root whose entry was written by hand, its spent entry is found
 * for it: koompi-init sees the fallback. */
static void test_hand_named_entries(void **state) {
        char found[ENTRY_NAME_MAX + 1] = "none";
        struct entry_name e;
        put("school-image+0-3.conf", "root=UUID=1 rootflags=subvol=/@root-2024-12-01,compress=zstd quiet");
        put("good-one.conf", "root=UUID=1 koompi.snapshot=@root-current");
        put("koompi-root-old.conf", "root=UUID=1 koompi.snapshot=@root-old");
        put("koompi-root-bare+2.conf", "quiet");
        put("windows.conf", "quiet");
        tl_write_text(tl_path(dir, ".hidden.conf"), "options koompi.snapshot=@root-hidden\n");
        tl_write_text(tl_path(dir, "notes.txt"), "options koompi.snapshot=@root-notes\n");

        expect_entry("@root-2024-12-01", "school-image+0-3.conf", true);
        expect_entry("@root-current", "good-one.conf", false);
        expect_entry("@root-old", "koompi-root-old.conf", false);
        /* Options naming no root: a koompi entry belongs to the root of its name. */
        expect_entry("@root-bare", "koompi-root-bare+2.conf", true);
        assert_int_equal(entry_dir_find_root(dir, "@root-hidden", found, sizeof found, &e), -ENOENT);
        assert_int_equal(entry_dir_find_root(dir, "@root-notes", found, sizeof found, &e), -ENOENT);
        assert_string_equal(found, "none");

        /* Twins: the counted one. */
        put("zz-current-trial+1-2.conf", "koompi.snapshot=@root-current");
        expect_entry("@root-current", "zz-current-trial+1-2.conf", true);
        assert_int_equal(entry_dir_find_root("/nonexistent", "@root-current", found, sizeof found, &e),
                         -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_hand_named_entries, setup, teardown),
        };
        return cmocka_run_group_tests_name("entrydir", tests, NULL, NULL);
}
