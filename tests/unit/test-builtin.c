/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "builtin.h"
#include "testlib.h"
#include "util.h"

/* A booted KOOMPI machine's mount table, as /proc/self/mountinfo shows it. */
static const char good_mountinfo[] =
        "22 1 0:31 /@root-2026-12-06 / ro,noatime shared:1 - btrfs /dev/mapper/root "
        "ro,compress=zstd:1,ssd,space_cache=v2,subvolid=260,subvol=/@root-2026-12-06\n"
        "23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,size=4096k,mode=755\n"
        "24 22 0:31 /@home /home rw,noatime shared:3 - btrfs /dev/mapper/root "
        "rw,compress=zstd:1,ssd,space_cache=v2,subvolid=257,subvol=/@home\n"
        "25 22 0:31 /@var /var rw,noatime shared:4 - btrfs /dev/mapper/root "
        "rw,compress=zstd:1,ssd,space_cache=v2,subvolid=258,subvol=/@var\n"
        "26 22 0:24 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,mode=755\n";

static void test_names(void **state) {
        assert_true(builtin_known("home-mounted"));
        assert_true(builtin_known("units"));
        assert_false(builtin_known("home"));
        assert_false(builtin_known("mounted"));
        assert_false(builtin_known(""));
        assert_false(builtin_known(NULL));
        assert_true(builtin_list_valid(""));
        assert_true(builtin_list_valid("  free-space\tunits "));
        assert_true(builtin_list_valid(BUILTIN_NAMES));
        assert_false(builtin_list_valid("free-space disk"));
        assert_true(builtin_in_list("home-mounted var-mounted", "var-mounted"));
        assert_false(builtin_in_list("home-mounted var-mounted", "var"));
        assert_false(builtin_in_list("", "units"));
}

static void test_parse_free(void **state) {
        static const struct {
                const char *text;
                int r;
                uint64_t bytes;
                unsigned percent;
        } rows[] = {
                { "5%", 0, 0, 5 },
                { "100%", 0, 0, 100 },
                { "0", 0, 0, 0 },
                { "4096", 0, 4096, 0 },
                { "100K", 0, 102400, 0 },
                { "512M", 0, 536870912, 0 },
                { "2G", 0, 2147483648ULL, 0 },
                { "1T", 0, 1099511627776ULL, 0 },
                { "101%", -EINVAL, 0, 0 },
                { "", -EINVAL, 0, 0 },
                { "G", -EINVAL, 0, 0 },
                { "2GB", -EINVAL, 0, 0 },
                { "-1", -EINVAL, 0, 0 },
                { "2 G", -EINVAL, 0, 0 },
                { "5%%", -EINVAL, 0, 0 },
                { "99999999999999999999", -EINVAL, 0, 0 },
                { "999999999999T", -EINVAL, 0, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct free_threshold t = { 7, 7 };
                int r = builtin_parse_free(rows[i].text, &t);
                if (r != rows[i].r)
                        fail_msg("'%s': %d, expected %d", rows[i].text, r, rows[i].r);
                if (r == 0 && (t.bytes != rows[i].bytes || t.percent != rows[i].percent))
                        fail_msg("'%s': %" PRIu64 " B %u%%", rows[i].text, t.bytes, t.percent);
                if (r < 0 && (t.bytes != 7 || t.percent != 7))
                        fail_msg("'%s': written on failure", rows[i].text);
        }
}

static void test_mount_verdict(void **state) {
        static const struct {
                struct mount_seen m;
                const char *target, *subvol;
                bool rw;
                enum health_state s;
                const char *msg;
        } rows[] = {
                { { true, "/@home", "btrfs", false },
                  "/home",
                  "@home",
                  true,
                  CHECK_PASSED,
                  "/home is mounted read-write from @home" },
                { { false }, "/home", "@home", true, CHECK_FAILED, "/home is not mounted" },
                { { true, "/@home", "btrfs", true },
                  "/home",
                  "@home",
                  true,
                  CHECK_FAILED,
                  "/home is mounted read-only, not read-write" },
                { { true, "/@var-old", "btrfs", false },
                  "/var",
                  "@var",
                  true,
                  CHECK_FAILED,
                  "/var is mounted from /@var-old, not from @var" },
                { { true, "/", "tmpfs", false },
                  "/var",
                  "@var",
                  true,
                  CHECK_FAILED,
                  "/var is mounted from tmpfs, not from the Btrfs subvolume @var" },
                { { true, "/@root-a", "btrfs", true },
                  "/",
                  "@root-a",
                  false,
                  CHECK_PASSED,
                  "/ is mounted read-only from @root-a" },
                { { true, "/@root-a", "btrfs", false },
                  "/",
                  "@root-a",
                  false,
                  CHECK_FAILED,
                  "/ is mounted read-write, not read-only" },
                { { true, "/@root-b", "btrfs", true },
                  "/",
                  "@root-a",
                  false,
                  CHECK_FAILED,
                  "/ is mounted from /@root-b, not from @root-a" },
                /* Without /: how an older util-linux or a bind mount may show the subvolume. */
                { { true, "@home", "btrfs", false },
                  "/home",
                  "@home",
                  true,
                  CHECK_PASSED,
                  "/home is mounted read-write from @home" },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                char msg[256];
                enum health_state s = builtin_mount_verdict(&rows[i].m, rows[i].target, rows[i].subvol,
                                                            rows[i].rw, msg, sizeof msg);
                if (s != rows[i].s || !streq(msg, rows[i].msg))
                        fail_msg("row %zu: %s '%s', expected %s '%s'", i, health_state_name(s), msg,
                                 health_state_name(rows[i].s), rows[i].msg);
        }
}

static void test_mount_read(void **state) {
        char path[TL_TMP_MAX];
        struct mount_seen m = { .found = true };
        assert_int_equal(tl_tmpfile_new(path, sizeof path, "mountinfo"), 0);
        tl_write_text(path, good_mountinfo);
        assert_int_equal(builtin_mount_read(path, "/home", &m), 0);
        assert_true(m.found);
        assert_string_equal(m.root, "/@home");
        assert_string_equal(m.fstype, "btrfs");
        assert_false(m.read_only);
        assert_int_equal(builtin_mount_read(path, "/", &m), 0);
        assert_string_equal(m.root, "/@root-2026-12-06");
        assert_true(m.read_only);
        assert_int_equal(builtin_mount_read(path, "/srv", &m), 0);
        assert_false(m.found);
        /* Mounted over: the topmost mount is the one in use. */
        tl_write_text(path,
                      "23 22 0:31 /@home /home rw - btrfs /dev/mapper/root rw\n"
                      "40 23 0:44 / /home ro - tmpfs tmpfs ro\n");
        assert_int_equal(builtin_mount_read(path, "/home", &m), 0);
        assert_string_equal(m.fstype, "tmpfs");
        assert_true(m.read_only);
        unlink(path);
        m = (struct mount_seen) { .root = "kept" };
        assert_true(builtin_mount_read(path, "/home", &m) < 0);
        assert_string_equal(m.root, "kept");
}

static void test_free_verdict(void **state) {
        const uint64_t G = 1024ULL * 1024 * 1024;
        const struct free_threshold one_g = { .bytes = G }, five = { .percent = 5 }, none = { 0 };
        char msg[256];
        assert_int_equal(builtin_free_verdict(10 * G, 100 * G, &one_g, msg, sizeof msg), CHECK_PASSED);
        assert_string_equal(msg, "10.0 GiB free (10%)");
        assert_int_equal(builtin_free_verdict(G / 2, 100 * G, &one_g, msg, sizeof msg), CHECK_FAILED);
        assert_string_equal(msg, "only 512.0 MiB free (0%), below the 1.0 GiB asked for");
        assert_int_equal(builtin_free_verdict(G, 100 * G, &one_g, msg, sizeof msg), CHECK_PASSED);
        assert_int_equal(builtin_free_verdict(4 * G, 100 * G, &five, msg, sizeof msg), CHECK_FAILED);
        assert_string_equal(msg, "only 4.0 GiB free (4%), below the 5% asked for");
        assert_int_equal(builtin_free_verdict(5 * G, 100 * G, &five, msg, sizeof msg), CHECK_PASSED);
        assert_int_equal(builtin_free_verdict(0, 100 * G, &none, msg, sizeof msg), CHECK_PASSED);
        assert_int_equal(builtin_free_verdict(100, 0, &five, msg, sizeof msg), CHECK_PASSED);
        assert_string_equal(msg, "100 B free (0%)");
}

static void test_units_verdict(void **state) {
        const char *names[] = { "gdm.service", "cups.service", "sddm.service" };
        const char *ok[] = { "active", NULL, "inactive" }, *bad[] = { "failed", "active", "failed" };
        char msg[256];
        assert_int_equal(builtin_units_verdict(names, ok, 3, msg, sizeof msg), CHECK_PASSED);
        assert_string_equal(msg, "none of 3 units failed");
        assert_int_equal(builtin_units_verdict(names, bad, 3, msg, sizeof msg), CHECK_FAILED);
        assert_string_equal(msg, "gdm.service, sddm.service failed");
        assert_int_equal(builtin_units_verdict(names, bad, 0, msg, sizeof msg), CHECK_SKIPPED);
        assert_string_equal(msg, "no units are listed (units= in agent.conf)");
        /* Cut, never overrun. */
        char small[12];
        assert_int_equal(builtin_units_verdict(names, bad, 3, small, sizeof small), CHECK_FAILED);
        assert_true(strlen(small) < sizeof small);
}

/* The reason text of built-in results, as the ledger, alerts and `koompi health` show it. */
static void test_reason(void **state) {
        struct health_run run = { 0 };
        char buf[256];
        health_add_result(&run, "home-mounted", true, CHECK_FAILED, "/home is not mounted");
        health_add_result(&run, "units", false, CHECK_SKIPPED, "no systemd on the system bus to ask about x");
        health_add_result(&run, "free-space", false, CHECK_PASSED, "1.0 GiB free (50%)");
        health_reason(&run.checks[0], buf, sizeof buf);
        assert_string_equal(buf, "check `home-mounted` failed: /home is not mounted");
        health_reason(&run.checks[1], buf, sizeof buf);
        assert_string_equal(buf, "check `units` skipped: no systemd on the system bus to ask about x");
        health_reason(&run.checks[2], buf, sizeof buf);
        assert_string_equal(buf, "");
        assert_string_equal(health_state_name(CHECK_SKIPPED), "skipped");
        /* Done at once; a skipped check fails nothing. */
        assert_true(health_done(&run));
        assert_int_equal(health_verdict(&run), HEALTH_FAILED);
        health_run_reason(&run, buf, sizeof buf);
        assert_string_equal(buf, "check `home-mounted` failed: /home is not mounted");
        run.checks[0].state = CHECK_PASSED;
        assert_int_equal(health_verdict(&run), HEALTH_OK);
        health_free(&run);
}

static const struct health_check *find(const struct health_run *run, const char *name) {
        for (size_t i = 0; i < run->n; i++)
                if (streq(run->checks[i].name, name))
                        return &run->checks[i];
        fail_msg("no check %s", name);
        return NULL;
}

/* Which checks run, required or wanted, from the settings; and what each finds in a world of
 * files: a captured mount table, koompi-init's record, a top level with the ledger's folder. */
static void test_run_all(void **state) {
        char dir[TL_TMP_MAX];
        struct builtin_settings c = { .required = "home-mounted var-mounted root-readonly ledger-writable",
                                      .wanted = "free-space units",
                                      .units = "" };
        struct health_run run = { 0 };
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "builtin"), 0);
        tl_write_text(tl_path(dir, "mountinfo"), good_mountinfo);
        tl_write_text(tl_path(dir, "boot.json"), "{\"snapshot\":\"@root-2026-12-06\",\"counting\":true}\n");
        tl_sh("mkdir -p %s/@var/lib/koompi", dir);
        const struct builtin_env env = { .mountinfo = tl_path(dir, "mountinfo"),
                                         .boot_json = tl_path(dir, "boot.json"),
                                         .top = dir };
        builtin_run_all(&run, &c, &env);
        assert_int_equal(run.n, 6);
        for (size_t i = 0; i < run.n; i++)
                if (run.checks[i].state !=
                    (streq(run.checks[i].name, "units") ? CHECK_SKIPPED : CHECK_PASSED))
                        fail_msg("%s: %s: %s", run.checks[i].name, health_state_name(run.checks[i].state),
                                 run.checks[i].output);
        assert_true(find(&run, "home-mounted")->required);
        assert_false(find(&run, "free-space")->required);
        health_free(&run);

        /* A broken world: /home missing, another root, no ledger folder, a full disk. */
        tl_write_text(tl_path(dir, "mountinfo"), "22 1 0:31 /@root-old / ro - btrfs /dev/mapper/root ro\n");
        tl_sh("rm -r %s/@var", dir);
        c.min_free = (struct free_threshold) { .percent = 100 };
        c.required = "home-mounted free-space";
        c.wanted = "root-readonly ledger-writable free-space";
        builtin_run_all(&run, &c, &env);
        assert_int_equal(run.n, 4);
        assert_string_equal(find(&run, "home-mounted")->output, "/home is not mounted");
        assert_string_equal(find(&run, "root-readonly")->output,
                            "/ is mounted from /@root-old, not from @root-2026-12-06");
        assert_false(find(&run, "root-readonly")->required);
        assert_true(find(&run, "free-space")->required);
        assert_int_equal(find(&run, "free-space")->state, CHECK_FAILED);
        assert_int_equal(find(&run, "ledger-writable")->state, CHECK_FAILED);
        assert_non_null(strstr(find(&run, "ledger-writable")->output, "does not exist"));
        health_free(&run);

        /* No record of the boot: the root cannot be checked, which fails nothing. */
        unlink(tl_path(dir, "boot.json"));
        c.required = "root-readonly";
        c.wanted = "";
        builtin_run_all(&run, &c, &env);
        assert_int_equal(run.n, 1);
        assert_int_equal(run.checks[0].state, CHECK_SKIPPED);
        health_free(&run);
        tl_tmpdir_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),         cmocka_unit_test(test_parse_free),
                cmocka_unit_test(test_mount_verdict), cmocka_unit_test(test_mount_read),
                cmocka_unit_test(test_free_verdict),  cmocka_unit_test(test_units_verdict),
                cmocka_unit_test(test_reason),        cmocka_unit_test(test_run_all),
        };
        return cmocka_run_group_tests_name("builtin", tests, NULL, NULL);
}
