/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A release applied from its verified copy (src/update/apply.c), and the lines of the child that
 * downloads it (src/agent/updatedownload.c): each without a network or a root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "download.h"
#include "rootpacman.h"
#include "testlib.h"
#include "updatedownload.h"
#include "util.h"

#define SHA_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static struct manifest_package packages[] = {
        { .name = (char *)"pkg-a",
          .file = (char *)"pkg-a-1.0-1-any.pkg.tar.gz",
          .size = 5,
          .sha256 = SHA_HELLO },
        { .name = (char *)"koompi.db", .file = (char *)"koompi.db", .size = 5, .sha256 = SHA_HELLO },
        { .name = (char *)"libc++",
          .file = (char *)"libc++-1-1-any.pkg.tar.gz",
          .size = 5,
          .sha256 = SHA_HELLO },
};
static const struct manifest m = { .channel = (char *)"stable",
                                   .version = (char *)"2026.12.2",
                                   .repo_name = (char *)"koompi",
                                   .repo_path = (char *)"2026.12.2/",
                                   .packages = packages,
                                   .n_packages = 3 };

static void test_cache_path(void **state) {
        char buf[128];
        assert_int_equal(apply_cache_path("/var/lib/koompi", "2026.12.2", buf, sizeof buf), 0);
        assert_string_equal(buf, "/var/lib/koompi/update/cache/2026.12.2");
        assert_int_equal(apply_cache_path("/var/lib/koompi", "../etc", buf, sizeof buf), -EINVAL);
        assert_int_equal(apply_cache_path("/var/lib/koompi", "2026.12.2", buf, 10), -ENAMETOOLONG);
}

static void test_repo_check(void **state) {
        struct update_refusal why = { 0 };
        struct manifest no_db = m;
        struct manifest_package bad[] = { packages[1], packages[0] };
        assert_int_equal(apply_repo_check(&m, &why), 0);
        no_db.n_packages = 1;
        assert_int_equal(apply_repo_check(&no_db, &why), -EBADMSG);
        assert_non_null(strstr(why.reason, "do not list the repository's database koompi.db"));
        /* pacman's names only: a word the shell cannot read as an option or expand. */
        static const char *const wrong[] = { "-Rns", ".hidden", "~root", "Upper", "a:b" };
        for (size_t i = 0; i < ELEMENTSOF(wrong); i++) {
                struct manifest named = m;
                bad[1].name = (char *)wrong[i];
                named.packages = bad;
                named.n_packages = 2;
                assert_int_equal(apply_repo_check(&named, &why), -EBADMSG);
                assert_non_null(strstr(why.reason, "is not a package name"));
        }
}

static void test_pacman_args(void **state) {
        _cleanup_free_ char *args = apply_pacman_args("/tmp/koompi-update-cache", &m);
        assert_string_equal(
                args,
                "--config /tmp/koompi-update-cache/pacman.conf -Syu --noconfirm --needed -- pkg-a libc++");
}

/* A release with "extra" optional: apply downloads, verifies and installs it only when
 * pacman.list names it. */
static void test_optional_applied(void **state) {
        static const char text[] =
                "{ \"format\": 1, \"channel\": \"stable\", \"version\": \"2026.12.2\", \"serial\": 1,"
                " \"issued\": \"2026-12-06T00:00:00Z\", \"expires\": \"2026-12-20T00:00:00Z\","
                " \"tier\": \"regular\", \"rollout\": { \"percent\": 100, \"paused\": false },"
                " \"repo\": { \"name\": \"koompi\", \"path\": \"2026.12.2/\" }, \"packages\": ["
                " { \"name\": \"koompi.db\", \"version\": \"1\", \"file\": \"koompi.db\", \"size\": 5,"
                " \"sha256\": \"" SHA_HELLO "\" },"
                " { \"name\": \"pkg-a\", \"version\": \"1\", \"file\": \"pkg-a-1-1-any.pkg.tar.gz\", \"size\": 5,"
                " \"sha256\": \"" SHA_HELLO "\" },"
                " { \"name\": \"extra\", \"version\": \"1\", \"file\": \"extra-1-1-any.pkg.tar.gz\", \"size\": 5,"
                " \"sha256\": \"" SHA_HELLO "\", \"optional\": true } ], \"revoked\": [] }";
        char *const carried[] = { (char *)"extra", NULL };
        char dir[TL_TMP_MAX];
        uint64_t left;
        struct manifest plain, asked;
        assert_int_equal(manifest_parse(text, strlen(text), &plain, NULL), 0);
        assert_int_equal(manifest_parse(text, strlen(text), &asked, NULL), 0);
        manifest_drop_optional(&plain, NULL);
        manifest_drop_optional(&asked, carried);
        _cleanup_free_ char *a = apply_pacman_args("/c", &plain), *b = apply_pacman_args("/c", &asked);
        assert_string_equal(a, "--config /c/pacman.conf -Syu --noconfirm --needed -- pkg-a");
        assert_string_equal(b, "--config /c/pacman.conf -Syu --noconfirm --needed -- pkg-a extra");
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "apply"), 0);
        assert_int_equal(download_remaining(&plain, dir, &left), 0);
        assert_int_equal(left, 10);
        assert_int_equal(download_remaining(&asked, dir, &left), 0);
        assert_int_equal(left, 15);
        tl_write_text(tl_path(dir, "koompi.db"), "hello");
        tl_write_text(tl_path(dir, "pkg-a-1-1-any.pkg.tar.gz"), "hello");
        assert_int_equal(apply_cache_verify(&plain, dir, NULL), 0);
        assert_int_equal(apply_cache_verify(&asked, dir, NULL), -ENOENT);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
        manifest_free(&plain);
        manifest_free(&asked);
}

/* The verified manifest and its signature go with the root they made. */
static void test_keep_manifest(void **state) {
        char dir[TL_TMP_MAX];
        struct stat st;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "apply"), 0);
        assert_int_equal(symlink("/etc/hostname", tl_path(dir, "manifest.json")), 0);
        assert_int_equal(apply_keep_manifest(dir, "{}\n", "untrusted comment: x\n"), 0);
        assert_int_equal(lstat(tl_path(dir, "manifest.json"), &st), 0);
        assert_true(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
        _cleanup_free_ char *text =
                tl_output("cat %s %s", tl_path(dir, "manifest.json"), tl_path(dir, "manifest.json.minisig"));
        assert_string_equal(text, "{}\nuntrusted comment: x\n");
        assert_int_equal(tl_tmpdir_remove(dir), 0);
        _cleanup_free_ char *cmd = apply_keep_command("pacman -Syu", "/tmp/c");
        assert_string_equal(cmd,
                            "pacman -Syu && mkdir -p /usr/lib/koompi/release && cp /tmp/c/manifest.json "
                            "/tmp/c/manifest.json.minisig /usr/lib/koompi/release/");
}

static void test_command(void **state) {
        _cleanup_free_ char *cmd = apply_command("/tmp/koompi-update-cache", &m);
        assert_string_equal(
                cmd,
                "mkdir -p /usr/lib/pacman/db && if [ ! -d /usr/lib/pacman/db/local ] && "
                "[ -d /var/lib/pacman/local ]; then cp -a /var/lib/pacman/local /usr/lib/pacman/db/ && "
                "if [ -d /var/lib/pacman/sync ]; then cp -a /var/lib/pacman/sync /usr/lib/pacman/db/; fi; "
                "fi && pacman --dbpath /usr/lib/pacman/db/ --config /tmp/koompi-update-cache/pacman.conf -Syu "
                "--noconfirm "
                "--needed -- pkg-a libc++");
}

static void test_dbpath(void **state) {
        char dir[TL_TMP_MAX], db[4096];
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "apply"), 0);
        assert_int_equal(root_pacman_dbpath(dir, db, sizeof db), 0);
        assert_string_equal(db, tl_path(dir, "var/lib/pacman"));
        assert_int_equal(mkdir_p(tl_path(dir, "usr/lib/pacman/db/local"), 0755), 0);
        assert_int_equal(root_pacman_dbpath(dir, db, sizeof db), 0);
        assert_string_equal(db, tl_path(dir, "usr/lib/pacman/db"));
        assert_int_equal(root_pacman_dbpath("/", db, sizeof db), 0);
        assert_true(streq(db, "/usr/lib/pacman/db") || streq(db, "/var/lib/pacman"));
        strcpy(db, "kept");
        assert_int_equal(root_pacman_dbpath(dir, db, 8), -ENAMETOOLONG);
        assert_string_equal(db, "kept");
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_pacman_conf(void **state) {
        char dir[TL_TMP_MAX];
        struct stat st;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "apply"), 0);
        /* Whatever the download left there (a link out of the folder) is replaced, not followed. */
        assert_int_equal(symlink("/etc/hostname", tl_path(dir, "pacman.conf")), 0);
        assert_int_equal(apply_pacman_conf(&m, dir, "/tmp/koompi-update-cache"), 0);
        assert_int_equal(lstat(tl_path(dir, "pacman.conf"), &st), 0);
        assert_true(S_ISREG(st.st_mode));
        _cleanup_free_ char *text = tl_output("grep -v '^#' %s", tl_path(dir, "pacman.conf"));
        assert_string_equal(text,
                            "[options]\nArchitecture = auto\nDBPath = /usr/lib/pacman/db/\n"
                            "CacheDir = /tmp/koompi-update-cache/\n"
                            "SigLevel = Never\n\n[koompi]\nSigLevel = Never\n"
                            "Server = file:///tmp/koompi-update-cache\n");
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_cache_verify(void **state) {
        char dir[TL_TMP_MAX];
        struct update_refusal why = { 0 };
        struct manifest two = m;
        two.n_packages = 2;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "apply"), 0);
        tl_write_text(tl_path(dir, "pkg-a-1.0-1-any.pkg.tar.gz"), "hello");
        assert_int_equal(symlink("pkg-a-1.0-1-any.pkg.tar.gz", tl_path(dir, "koompi.db")), 0);
        assert_int_equal(apply_cache_verify(&two, dir, &why), -EILSEQ);
        assert_non_null(strstr(why.reason, "koompi.db is not a regular file"));
        unlink(tl_path(dir, "koompi.db"));
        tl_write_text(tl_path(dir, "koompi.db"), "hellO");
        assert_int_equal(apply_cache_verify(&two, dir, &why), -EILSEQ);
        assert_int_equal(access(tl_path(dir, "koompi.db"), F_OK), -1);
        tl_write_text(tl_path(dir, "koompi.db"), "hello");
        assert_int_equal(apply_cache_verify(&two, dir, &why), 0);
        unlink(tl_path(dir, "koompi.db"));
        assert_int_equal(apply_cache_verify(&two, dir, &why), -ENOENT);
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_root_from_output(void **state) {
        char root[64];
        const char *out = "[7/7] done: the in-progress mark of @root-2026-12-07 cleared\n"
                          "update: @root-2026-12-07.1 made from @root-current, read-only, entry x.conf\n"
                          "        boots next\n";
        assert_int_equal(apply_root_from_output(out, root, sizeof root), 0);
        assert_string_equal(root, "@root-2026-12-07.1");
        assert_int_equal(apply_root_from_output("update: @root-x deleted; nothing else was changed\n", root,
                                                sizeof root),
                         -ENOENT);
        assert_int_equal(apply_root_from_output("", root, sizeof root), -ENOENT);
        assert_int_equal(apply_root_from_output(out, root, 8), -ENOENT);
}

static void test_record(void **state) {
        char dir[TL_TMP_MAX];
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "apply"), 0);
        assert_int_equal(apply_record(dir, "2026.12.2"), 0);
        assert_int_equal(apply_record(dir, "2026.12.3"), 0);
        assert_int_equal(apply_record(dir, "2026.12.4"), 0);
        assert_int_equal(apply_record(dir, "2026.12 4"), -EINVAL);
        assert_int_equal(apply_record(dir, "../x"), -EINVAL);
        _cleanup_free_ char *current = tl_output("cat %s/update/current", dir);
        assert_string_equal(current, "2026.12.4\n");
        /* The root's release is the root's own file: nothing here says which root holds it. */
        _cleanup_free_ char *files = tl_output("ls %s/update", dir);
        assert_string_equal(files, "current\n");
        assert_int_equal(tl_tmpdir_remove(dir), 0);
}

static void test_child_lines(void **state) {
        struct download_line l;
        assert_int_equal(updatedownload_parse("progress 10 20 pkg-a-1.0-1-any.pkg.tar.gz", &l), 0);
        assert_false(l.done);
        assert_int_equal(l.have, 10);
        assert_int_equal(l.total, 20);
        assert_string_equal(l.file, "pkg-a-1.0-1-any.pkg.tar.gz");
        assert_int_equal(updatedownload_parse("done -5 100 20 http://m/x: transfer closed", &l), 0);
        assert_true(l.done);
        assert_int_equal(l.error, -EIO);
        assert_int_equal(l.fetched, 100);
        assert_int_equal(l.resumed, 20);
        assert_string_equal(l.reason, "http://m/x: transfer closed");
        assert_int_equal(updatedownload_parse("done 0 7 0 ", &l), 0);
        assert_int_equal(l.error, 0);
        assert_string_equal(l.reason, "");
        /* Neither form: more done than total, a positive errno, words. */
        assert_int_equal(updatedownload_parse("progress 30 20 x", &l), -EBADMSG);
        assert_int_equal(updatedownload_parse("done 5 0 0 x", &l), -EBADMSG);
        assert_int_equal(updatedownload_parse("hello", &l), -EBADMSG);
        assert_int_equal(updatedownload_parse("", &l), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cache_path),    cmocka_unit_test(test_repo_check),
                cmocka_unit_test(test_pacman_args),   cmocka_unit_test(test_pacman_conf),
                cmocka_unit_test(test_cache_verify),  cmocka_unit_test(test_root_from_output),
                cmocka_unit_test(test_record),        cmocka_unit_test(test_child_lines),
                cmocka_unit_test(test_command),       cmocka_unit_test(test_optional_applied),
                cmocka_unit_test(test_keep_manifest), cmocka_unit_test(test_dbpath),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
