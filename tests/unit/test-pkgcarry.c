/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The package files an AUR install keeps (src/packages/pkgkeep.c), and what UpdateApply carries
 * into a release's new root from them and from pacman.list (src/agent/updatecarry.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkgkeep.h"
#include "strv.h"
#include "testlib.h"
#include "updatecarry.h"
#include "util.h"

#define SHA_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static struct manifest_package packages[] = {
        { .name = (char *)"pkg-a",
          .file = (char *)"pkg-a-1.0-1-any.pkg.tar.gz",
          .size = 5,
          .sha256 = SHA_HELLO },
        { .name = (char *)"koompi", .file = (char *)"koompi.db", .size = 5, .sha256 = SHA_HELLO },
};
static const struct manifest m = { .channel = (char *)"stable",
                                   .version = (char *)"2026.12.3",
                                   .repo_name = (char *)"koompi",
                                   .packages = packages,
                                   .n_packages = 2 };

static void test_file_valid(void **state) {
        assert_true(pkgkeep_file_valid("koompi-hello-1.0-1-any.pkg.tar.zst"));
        assert_true(pkgkeep_file_valid("a+b@c:1.0.pkg.tar"));
        assert_false(pkgkeep_file_valid(""));
        assert_false(pkgkeep_file_valid(".hidden"));
        assert_false(pkgkeep_file_valid("-rf"));
        assert_false(pkgkeep_file_valid("x'; reboot; '"));
        assert_false(pkgkeep_file_valid("a b"));
        assert_false(pkgkeep_file_valid("a/b"));
}

static void test_dir(void **state) {
        char buf[64];
        assert_int_equal(pkgkeep_dir("/var/lib/koompi", "hello", ".new", buf, sizeof buf), 0);
        assert_string_equal(buf, "/var/lib/koompi/packages/aur/hello.new");
        assert_int_equal(pkgkeep_dir("/var/lib/koompi", "../etc", "", buf, sizeof buf), -EINVAL);
        assert_int_equal(pkgkeep_dir("/var/lib/koompi", "hello", "", buf, 10), -ENAMETOOLONG);
}

/* STATE/packages/aur/NAME kept from a built file holding text. */
static void keep(const char *state, const char *name, const char *file, const char *text) {
        char build[PATH_MAX];
        snprintf(build, sizeof build, "%s/%s", state, file);
        tl_write_file(build, text, strlen(text), 0644);
        char *paths[] = { build, NULL };
        assert_int_equal(pkgkeep_stage(state, name, paths), 0);
        assert_int_equal(pkgkeep_commit(state, name), 0);
        unlink(build);
}

static void test_stage_read(void **state) {
        char dir[TL_TMP_MAX], *text = NULL;
        struct pkgkeep_file *files = NULL;
        size_t n = 0;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "pkgkeep"), 0);
        assert_int_equal(pkgkeep_read(dir, "hello", &files, &n), -ENOENT);
        keep(dir, "hello", "hello-1.0-1-any.pkg.tar", "hello");
        assert_int_equal(read_file(tl_path(dir, "packages/aur/hello/SHA256SUMS"), &text, NULL), 0);
        assert_string_equal(text, SHA_HELLO "  hello-1.0-1-any.pkg.tar\n");
        free(text);
        assert_int_equal(pkgkeep_read(dir, "hello", &files, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(files[0].name, "hello-1.0-1-any.pkg.tar");
        assert_string_equal(files[0].sha256, SHA_HELLO);
        free(files);
        /* A second build replaces the first. */
        keep(dir, "hello", "hello-1.1-1-any.pkg.tar", "hello");
        assert_int_equal(access(tl_path(dir, "packages/aur/hello/hello-1.0-1-any.pkg.tar"), F_OK), -1);
        assert_int_equal(access(tl_path(dir, "packages/aur/hello.new"), F_OK), -1);
        assert_int_equal(pkgkeep_remove(dir, "hello", ""), 0);
        assert_int_equal(access(tl_path(dir, "packages/aur/hello"), F_OK), -1);
        assert_int_equal(pkgkeep_remove(dir, "hello", ""), 0);
        tl_tmpdir_remove(dir);
}

static void test_stage_refusals(void **state) {
        char dir[TL_TMP_MAX];
        struct pkgkeep_file *files = NULL;
        size_t n = 0;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "pkgkeep"), 0);
        char bad[PATH_MAX], link[PATH_MAX];
        snprintf(bad, sizeof bad, "%s/x y.pkg.tar", dir);
        tl_write_file(bad, "x", 1, 0644);
        char *paths[] = { bad, NULL };
        assert_int_equal(pkgkeep_stage(dir, "hello", paths), -EINVAL);
        assert_int_equal(access(tl_path(dir, "packages/aur/hello.new"), F_OK), -1);
        /* A symbolic link out of the build is not followed. */
        snprintf(link, sizeof link, "%s/link.pkg.tar", dir);
        assert_int_equal(symlink("/etc/hostname", link), 0);
        paths[0] = link;
        assert_int_equal(pkgkeep_stage(dir, "hello", paths), -ELOOP);
        assert_int_equal(access(tl_path(dir, "packages/aur/hello.new"), F_OK), -1);
        assert_int_equal(mkdir_p(tl_path(dir, "packages/aur/hello"), 0755), 0);
        tl_write_file(tl_path(dir, "packages/aur/hello/SHA256SUMS"), "abc  x.pkg.tar\n", 15, 0644);
        assert_int_equal(pkgkeep_read(dir, "hello", &files, &n), -EBADMSG);
        tl_write_file(tl_path(dir, "packages/aur/hello/SHA256SUMS"), SHA_HELLO "  ../x\n", 72, 0644);
        assert_int_equal(pkgkeep_read(dir, "hello", &files, &n), -EBADMSG);
        tl_tmpdir_remove(dir);
}

static bool has(char **v, const char *prefix) {
        for (; v && *v; v++)
                if (strncmp(*v, prefix, strlen(prefix)) == 0)
                        return true;
        return false;
}

static void test_carry(void **state) {
        char dir[TL_TMP_MAX], cache[PATH_MAX], *text = NULL;
        struct updatecarry c;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "carry"), 0);
        snprintf(cache, sizeof cache, "%s/cache", dir);
        assert_int_equal(mkdir(cache, 0755), 0);
        /* No list: nothing carried, the command is the release's alone. */
        assert_int_equal(updatecarry_prepare(&c, dir, &m, cache), 0);
        assert_null(c.carried);
        assert_null(c.not_carried);
        assert_null(updatecarry_command(&c, "ARGS", "/mnt"));
        updatecarry_free(&c);

        assert_int_equal(mkdir_p(tl_path(dir, "packages"), 0755), 0);
        tl_write_file(tl_path(dir, "packages/pacman.list"), "gone\npkg-a\nkoompi\n", 18, 0644);
        tl_write_file(tl_path(dir, "packages/aur.list"), "hello\nnever-kept\ntampered\n", 26, 0644);
        keep(dir, "hello", "hello-1.0-1-any.pkg.tar", "hello");
        keep(dir, "tampered", "tampered-1-1-any.pkg.tar", "good");
        tl_write_file(tl_path(dir, "packages/aur/tampered/tampered-1-1-any.pkg.tar"), "evil", 4, 0644);
        assert_int_equal(updatecarry_prepare(&c, dir, &m, cache), 0);
        assert_true(has(c.carried, "pkg-a") && has(c.carried, "hello"));
        assert_int_equal(strv_length(c.carried), 2);
        assert_true(has(c.not_carried, "gone: the repository of release 2026.12.3 does not list it"));
        /* The repository's database is no package. */
        assert_true(has(c.not_carried, "koompi: "));
        assert_true(has(c.not_carried, "never-kept: no built file of it is kept"));
        assert_true(has(c.not_carried, "tampered: its kept file tampered-1-1-any.pkg.tar no longer matches"));
        assert_int_equal(strv_length(c.not_carried), 4);
        assert_int_equal(read_file(tl_path(cache, "aur.hello-1.0-1-any.pkg.tar"), &text, NULL), 0);
        assert_string_equal(text, "hello");
        free(text);
        assert_int_equal(access(tl_path(cache, "aur.tampered-1-1-any.pkg.tar"), F_OK), -1);
        char *cmd = updatecarry_command(&c, "pacman --config /mnt/pacman.conf -Syu", "/mnt");
        assert_string_equal(cmd,
                            "pacman --config /mnt/pacman.conf -Syu && pacman --config /mnt/pacman.conf -U "
                            "--noconfirm --needed -- /mnt/aur.hello-1.0-1-any.pkg.tar");
        free(cmd);
        json_object *o = json_object_new_object();
        updatecarry_answer(&c, o);
        assert_int_equal(json_object_array_length(json_object_object_get(o, "carried")), 2);
        assert_int_equal(json_object_array_length(json_object_object_get(o, "not_carried")), 4);
        json_object_put(o);
        updatecarry_free(&c);
        tl_tmpdir_remove(dir);
}

/* The optional packages apply takes: those koompi install asked for, and those installed in
 * the booted root (a dependency brought along), which pacman -Syu upgrades. */
static void test_optional_names(void **state) {
        char dir[TL_TMP_MAX];
        char **names = NULL;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "carry"), 0);
        assert_int_equal(updatecarry_optional_names(tl_path(dir, "state"), tl_path(dir, "root"), &names), 0);
        assert_null(names);
        assert_int_equal(mkdir_p(tl_path(dir, "state/packages"), 0755), 0);
        tl_write_text(tl_path(dir, "state/packages/pacman.list"), "opt-app\n");
        assert_int_equal(mkdir_p(tl_path(dir, "root/usr/lib/pacman/db/local/opt-lib-1.0-1"), 0755), 0);
        assert_int_equal(mkdir_p(tl_path(dir, "root/usr/lib/pacman/db/local/lib32-x-2:1.5-3"), 0755), 0);
        tl_write_text(tl_path(dir, "root/usr/lib/pacman/db/local/ALPM_DB_VERSION"), "9\n");
        assert_int_equal(updatecarry_optional_names(tl_path(dir, "state"), tl_path(dir, "root"), &names), 0);
        assert_int_equal(strv_length(names), 3);
        assert_string_equal(names[0], "opt-app");
        assert_true(strv_contains(names, "opt-lib") && strv_contains(names, "lib32-x"));
        strv_free(names);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_file_valid), cmocka_unit_test(test_dir),
                cmocka_unit_test(test_stage_read), cmocka_unit_test(test_stage_refusals),
                cmocka_unit_test(test_carry),      cmocka_unit_test(test_optional_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
