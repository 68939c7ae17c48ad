/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The main of the AppImage and pacman workers: the command line, the settings of agent.conf,
 * one verb, and its answer on stdout in the backend protocol with the error table's exit status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkgconf.h"
#include "testlib.h"
#include "util.h"
#include "workerline.h"
#include "workermain.h"

static char dir[TL_TMP_MAX];

static int setup(void **state) {
        return tl_tmpdir_new(dir, sizeof dir, "workermain") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir) < 0 ? -1 : 0;
}

/* The verbs see the settings: user is the result of "user". */
static int do_user(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        const struct pkg_config *c = ctx;
        *ret = json_object_new_string(c->user);
        return 0;
}

static int do_full(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        workerline_progress(stdout, 1, 2, a->arg);
        return workerline_why(why, -ENOSPC, "no room for %s", a->arg);
}

static const struct worker_verb verbs[] = { { "user", 0, do_user }, { "full", 1, do_full } };
static const struct pkgworker worker = {
        .usage = "Usage: w user | full X\n", .name = "w", .verbs = verbs, .n_verbs = ELEMENTSOF(verbs)
};

/* Runs pkgworker_main() on the words; its stdout into *ret_out (free it). Its exit status. */
static int run(char **ret_out, const char *const *words, int n) {
        char *argv[8], out[PATH_MAX];
        for (int i = 0; i < n; i++)
                argv[i] = (char *)words[i];
        argv[n] = NULL;
        snprintf(out, sizeof out, "%s", tl_path(dir, "stdout"));
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int saved = dup(STDOUT_FILENO);
        assert_true(fd >= 0 && saved >= 0);
        fflush(stdout);
        assert_true(dup2(fd, STDOUT_FILENO) >= 0);
        int status = pkgworker_main(&worker, n, argv);
        fflush(stdout);
        assert_true(dup2(saved, STDOUT_FILENO) >= 0);
        close(saved);
        close(fd);
        assert_int_equal(read_file(out, ret_out, NULL), 0);
        return status;
}

static void test_result_on_settings(void **state) {
        char conf[PATH_MAX];
        _cleanup_free_ char *text = NULL, *defaults = NULL;
        snprintf(conf, sizeof conf, "%s", tl_path(dir, "agent.conf"));
        tl_write_text(conf, "[packages]\nuser = pupil\n");
        const char *words[] = { "w", "--config", conf, "user" };
        assert_int_equal(run(&text, words, 4), 0);
        assert_string_equal(text, "{\"result\":\"pupil\"}\n");

        /* A missing file is the defaults. */
        const char *missing[] = { "w", "--config", tl_path(dir, "none.conf"), "user" };
        assert_int_equal(run(&defaults, missing, 4), 0);
        assert_string_equal(defaults, "{\"result\":\"nobody\"}\n");
}

static void test_error_and_exit_status(void **state) {
        _cleanup_free_ char *text = NULL;
        const char *words[] = { "w", "--config", tl_path(dir, "none.conf"), "full", "disk" };
        assert_int_equal(run(&text, words, 5), 4);
        assert_string_equal(text,
                            "{\"progress\":{\"done\":1,\"total\":2,\"text\":\"disk\"}}\n"
                            "{\"error\":\"no room for disk\",\"errno\":28}\n");
}

static void test_unreadable_settings(void **state) {
        _cleanup_free_ char *text = NULL, *want = NULL;
        char conf[PATH_MAX];
        snprintf(conf, sizeof conf, "%s", tl_path(dir, "broken.conf"));
        tl_write_text(conf, "[packages\nuser = pupil\nnot a line of INI\n");
        const char *words[] = { "w", "--config", conf, "user" };
        assert_int_equal(run(&text, words, 4), 2);
        assert_true(asprintf(&want, "{\"error\":\"%s could not be read: %s\",\"errno\":%d}\n", conf,
                             strerror(EBADMSG), EBADMSG) > 0);
        assert_string_equal(text, want);
}

static void test_bad_usage(void **state) {
        static const char *const cases[][4] = {
                { "w", "full" }, /* full needs its argument */
                { "w", "user", "x" },
                { "w", "remove", "x" },
                { "w", "--out", "/tmp", "user" }, /* --out is the AUR worker's */
                { "w" },
        };
        static const int n[] = { 2, 3, 3, 4, 1 };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = NULL;
                assert_int_equal(run(&text, cases[i], n[i]), 1);
                assert_string_equal(text, "{\"error\":\"w: bad usage\",\"errno\":22}\n");
        }
        _cleanup_free_ char *help = NULL;
        const char *words[] = { "w", "--help" };
        assert_int_equal(run(&help, words, 2), 0);
        assert_string_equal(help, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_result_on_settings),
                cmocka_unit_test(test_error_and_exit_status),
                cmocka_unit_test(test_unreadable_settings),
                cmocka_unit_test(test_bad_usage),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
