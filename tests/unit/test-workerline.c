/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The package workers' side of the backend protocol: one JSON object a line, the final line a
 * result or an error, the exit status from the project's error table; their command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workerargs.h"
#include "workerline.h"

/* What the calls of fn wrote, as text (free it). */
static char *written(void (*fn)(FILE *f)) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        fn(f);
        fclose(f);
        return text;
}

static void progress_and_result(FILE *f) {
        struct worker_item it = {
                .source = "flatpak", .name = "org.example.App", .version = "stable", .download_size = 7
        };
        json_object *list = json_object_new_array();
        workerline_progress(f, 1, 4, "fetching \"x\"\n");
        json_object_array_add(list, workerline_item(&it));
        assert_int_equal(workerline_answer(f, 0, list, "unused"), 0);
}

static void test_lines(void **state) {
        char *text = written(progress_and_result);
        assert_string_equal(
                text,
                "{\"progress\":{\"done\":1,\"total\":4,\"text\":\"fetching \\\"x\\\"\\n\"}}\n"
                "{\"result\":[{\"name\":\"org.example.App\",\"id\":\"\",\"version\":\"stable\","
                "\"summary\":\"\",\"source\":\"flatpak\",\"download_size\":7,\"installed\":false}]}\n");
        free(text);
}

static void an_error(FILE *f) {
        assert_int_equal(workerline_answer(f, -ENOSPC, NULL, "the disk is full: free some space"), 4);
}

static void test_error_line(void **state) {
        char *text = written(an_error);
        assert_string_equal(text, "{\"error\":\"the disk is full: free some space\",\"errno\":28}\n");
        free(text);
}

/* A verb's failure: the sentence, cut to WORKER_WHY_MAX bytes, and its errno returned. */
static void test_why(void **state) {
        char why[WORKER_WHY_MAX], long_name[2 * WORKER_WHY_MAX];
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = 0;
        assert_int_equal(workerline_why(why, -ENOENT, "no package %s", "hello"), -ENOENT);
        assert_string_equal(why, "no package hello");
        assert_int_equal(workerline_why(why, -EINVAL, "'%s' is not a name", long_name), -EINVAL);
        assert_int_equal(strlen(why), WORKER_WHY_MAX - 1);
        assert_memory_equal(why, "'aaa", 4);
}

static void test_exit_status_table(void **state) {
        static const struct {
                int r, code;
        } table[] = {
                { 0, 0 },          { -EINVAL, 1 }, { -ENOENT, 2 }, { -ENODATA, 2 }, { -EBADMSG, 2 },
                { -ENOMEDIUM, 2 }, { -EPERM, 3 },  { -EBUSY, 3 },  { -EEXIST, 3 },  { -ENOTEMPTY, 3 },
                { -ECANCELED, 3 }, { -ENOSPC, 4 }, { -EIO, 5 },    { -ETIME, 5 },   { -ECHILD, 6 },
        };
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
                assert_int_equal(workerline_exit_status(table[i].r), table[i].code);
}

static int parse(const char *const *words, int n, struct worker_args *a) {
        char *argv[8];
        for (int i = 0; i < n; i++)
                argv[i] = (char *)words[i];
        argv[n] = NULL;
        return workerargs_parse(n, argv, a);
}

static void test_args(void **state) {
        struct worker_args a;
        const char *build[] = { "w", "--config", "/etc/a.conf", "build", "hello", "--out", "/run/x" };
        const char *list[] = { "w", "list" };
        assert_int_equal(parse(build, 7, &a), 0);
        assert_string_equal(a.config, "/etc/a.conf");
        assert_string_equal(a.verb, "build");
        assert_string_equal(a.arg, "hello");
        assert_string_equal(a.out, "/run/x");
        assert_int_equal(parse(list, 2, &a), 0);
        assert_null(a.arg);
        assert_null(a.config);
}

static void test_args_refused(void **state) {
        struct worker_args a = { .verb = "untouched" };
        const char *none[] = { "w" }, *three[] = { "w", "install", "a", "b" },
                   *unknown[] = { "w", "--root", "/", "list" };
        const char *help[] = { "w", "--help" };
        assert_int_equal(parse(none, 1, &a), -EINVAL);
        assert_int_equal(parse(three, 4, &a), -EINVAL);
        assert_int_equal(parse(unknown, 4, &a), -EINVAL);
        assert_int_equal(parse(help, 2, &a), -ECANCELED);
        assert_string_equal(a.verb, "untouched");
}

static int run_nothing(void *ctx, const struct worker_args *a, json_object **ret, char *why) {
        return 0;
}

static void test_verb_table(void **state) {
        static const struct worker_verb verbs[] = { { "list", 0, run_nothing }, { "info", 1, run_nothing } };
        struct worker_args a = { .verb = "info", .arg = "x" };
        assert_ptr_equal(workerargs_verb(verbs, 2, &a), &verbs[1]);
        a.arg = NULL;
        assert_null(workerargs_verb(verbs, 2, &a)); /* info needs its argument */
        a.verb = "list";
        assert_ptr_equal(workerargs_verb(verbs, 2, &a), &verbs[0]);
        a.verb = "remove";
        assert_null(workerargs_verb(verbs, 2, &a));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_error_line),
                cmocka_unit_test(test_exit_status_table),
                cmocka_unit_test(test_why),
                cmocka_unit_test(test_args),
                cmocka_unit_test(test_args_refused),
                cmocka_unit_test(test_verb_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
