/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "rootfacts.h"
#include "util.h"

static void test_parse(void **state) {
        static const struct {
                const char *json;
                int r;
                const char *booted, *next;
                size_t alerts;
                bool counting;
        } rows[] = {
                { "{\"booted\":{\"snapshot\":\"@root-a\"},\"default\":{\"snapshot\":\"@root-b\"},\"alerts\":[]}",
                  0, "@root-a", "@root-b", 0, false },
                { "{\"booted\":{\"snapshot\":\"@root-a\",\"counting\":true},\"alerts\":[]}", 0, "@root-a", "",
                  0, true },
                { "{\"booted\":{\"snapshot\":\"@root-a\",\"counting\":\"yes\"},\"alerts\":[]}", 0, "@root-a",
                  "", 0, false },
                { "{\"booted\":{\"snapshot\":null},\"default\":{\"snapshot\":null},"
                  "\"alerts\":[{\"seq\":4,\"kind\":\"fallback\",\"message\":\"m\"}]}",
                  0, "", "", 1, false },
                { "{\"alerts\":[]}", 0, "", "", 0, false },
                { "{\"booted\":\"x\",\"alerts\":[]}", 0, "", "", 0, false },
                { "{\"booted\":{\"snapshot\":\"@root-a\"}}", -EBADMSG, NULL, NULL, 0, false },
                { "{\"alerts\":{}}", -EBADMSG, NULL, NULL, 0, false },
                { "[]", -EBADMSG, NULL, NULL, 0, false },
                { "koompi-boot: no", -EBADMSG, NULL, NULL, 0, false },
                { "", -EBADMSG, NULL, NULL, 0, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct root_facts f;
                int r = rootfacts_parse(rows[i].json, &f);
                if (r != rows[i].r)
                        fail_msg("row %zu: %d, expected %d", i, r, rows[i].r);
                if (r < 0)
                        continue;
                assert_string_equal(f.booted_root, rows[i].booted);
                assert_string_equal(f.next_root, rows[i].next);
                assert_int_equal(json_object_array_length(f.alerts), rows[i].alerts);
                assert_int_equal(f.counting, rows[i].counting);
                rootfacts_free(&f);
        }
}

static char dir[] = "/tmp/koompi-test-rootfacts-XXXXXX";
static char bin[sizeof dir + 16];

/* A stand-in for koompi-boot: prints its arguments to DIR/args, then runs body. */
static void fake_koompi_boot(const char *body) {
        FILE *f = fopen(bin, "w");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\necho \"$@\" > %s/args\n%s\n", dir, body);
        fclose(f);
        assert_int_equal(chmod(bin, 0755), 0);
}

static int setup(void **state) {
        if (!mkdtemp(dir))
                return -1;
        snprintf(bin, sizeof bin, "%s/koompi-boot", dir);
        return 0;
}

static int teardown(void **state) {
        char path[sizeof dir + 16];
        snprintf(path, sizeof path, "%s/args", dir);
        unlink(path);
        unlink(bin);
        rmdir(dir);
        return 0;
}

static char *args(void) {
        char path[sizeof dir + 16], *text = NULL;
        snprintf(path, sizeof path, "%s/args", dir);
        assert_int_equal(read_file(path, &text, NULL), 0);
        return text;
}

static void test_read(void **state) {
        struct rootfacts_source src = {
                .koompi_boot = bin, .top = "/t", .esp = "/e", .state = "/s.json", .timeout_ms = 5000
        };
        struct root_facts f;
        char *error = NULL;
        fake_koompi_boot("echo '{\"booted\":{\"snapshot\":\"@root-a\"},\"alerts\":[]}'");
        assert_int_equal(rootfacts_read(&src, &f, &error), 0);
        assert_string_equal(f.booted_root, "@root-a");
        _cleanup_free_ char *a = args();
        assert_string_equal(a, "--top /t --esp /e --state /s.json --json status\n");
        rootfacts_free(&f);
}

static void test_read_failures(void **state) {
        static const struct {
                const char *body;
                int r;
                const char *error;
        } rows[] = {
                { "echo 'koompi-boot: the ledger is unreadable' >&2; exit 2", -ENOENT,
                  "koompi-boot: the ledger is unreadable" },
                { "echo first >&2; echo 'the last line' >&2; exit 5", -EIO, "the last line" },
                { "exit 5", -EIO, "failed with exit status 5" },
                { "echo not json", -EBADMSG, "printed no status object" },
                { "exec sleep 30", -EIO, "did not answer within 300ms" },
                { "kill -9 $$", -EIO, "failed" },
        };
        struct rootfacts_source src = { .koompi_boot = bin, .timeout_ms = 300 };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct root_facts f;
                char *error = NULL;
                fake_koompi_boot(rows[i].body);
                int r = rootfacts_read(&src, &f, &error);
                if (r != rows[i].r || !error || !strstr(error, rows[i].error))
                        fail_msg("row %zu: %d '%s', expected %d '%s'", i, r, error, rows[i].r, rows[i].error);
                free(error);
        }
        src.koompi_boot = "/nonexistent/koompi-boot";
        struct root_facts f;
        char *error = NULL;
        assert_int_equal(rootfacts_read(&src, &f, &error), -EIO);
        assert_non_null(strstr(error, "/nonexistent/koompi-boot could not be run"));
        free(error);
}

static void test_ack(void **state) {
        struct rootfacts_source src = { .koompi_boot = bin, .timeout_ms = 5000 };
        char *error = NULL;
        fake_koompi_boot("exit 0");
        assert_int_equal(rootfacts_ack_alert(&src, 7, &error), 0);
        _cleanup_free_ char *a = args();
        assert_string_equal(a, "alerts ack 7\n");
        assert_int_equal(rootfacts_ack_alert(&src, 0, &error), 0);
        _cleanup_free_ char *all = args();
        assert_string_equal(all, "alerts ack\n");
        fake_koompi_boot("echo 'koompi-boot: there is no alert #9' >&2; exit 2");
        assert_int_equal(rootfacts_ack_alert(&src, 9, &error), -ENOENT);
        assert_string_equal(error, "koompi-boot: there is no alert #9");
        free(error);
}

static void test_mark_bad(void **state) {
        struct rootfacts_source src = { .koompi_boot = bin, .top = "/t", .timeout_ms = 5000 };
        char *error = NULL;
        fake_koompi_boot("exit 0");
        assert_int_equal(rootfacts_mark_bad(&src, "check `x` failed: no", &error), 0);
        _cleanup_free_ char *a = args();
        assert_string_equal(a, "--top /t mark-bad --reason check `x` failed: no\n");
        src.entry = "/esp/loader/entries/koompi-x+2-1.conf";
        assert_int_equal(rootfacts_mark_bad(&src, NULL, &error), 0);
        _cleanup_free_ char *b = args();
        assert_string_equal(b, "--top /t mark-bad --reason  --entry /esp/loader/entries/koompi-x+2-1.conf\n");
        fake_koompi_boot("echo 'koompi-boot: renaming the entry failed' >&2; exit 5");
        assert_int_equal(rootfacts_mark_bad(&src, "r", &error), -EIO);
        assert_string_equal(error, "koompi-boot: renaming the entry failed");
        free(error);
}

static void test_note_and_alert(void **state) {
        struct rootfacts_source src = { .koompi_boot = bin, .timeout_ms = 5000 };
        char *error = NULL;
        fake_koompi_boot("exit 0");
        assert_int_equal(rootfacts_note(&src, "-health: 1 passed", &error), 0);
        _cleanup_free_ char *a = args();
        assert_string_equal(a, "note -- -health: 1 passed\n");
        assert_int_equal(rootfacts_raise_alert(&src, "health", "check `x` failed", &error), 0);
        _cleanup_free_ char *b = args();
        assert_string_equal(b, "alerts raise -- health check `x` failed\n");
        fake_koompi_boot("echo 'koompi-boot: the ledger has no record of this boot' >&2; exit 2");
        assert_int_equal(rootfacts_note(&src, "x", &error), -ENOENT);
        assert_string_equal(error, "koompi-boot: the ledger has no record of this boot");
        free(error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),         cmocka_unit_test(test_read),
                cmocka_unit_test(test_read_failures), cmocka_unit_test(test_ack),
                cmocka_unit_test(test_mark_bad),      cmocka_unit_test(test_note_and_alert),
        };
        return cmocka_run_group_tests_name("rootfacts", tests, setup, teardown);
}
