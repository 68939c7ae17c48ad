/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A release's outcomes on this machine: the report id, the lines koompi-release step reads, the
 * bounded files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outcomes.h"
#include "reports.h"
#include "testlib.h"
#include "util.h"

#define MACHINE_ID "0123456789abcdef0123456789abcdef"

static void test_report_id(void **state) {
        char dir[TL_TMP_MAX], path[PATH_MAX], id[OUTCOMES_REPORT_ID_HEX];
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "outcomes"), 0);
        snprintf(path, sizeof path, "%s/machine-id", dir);
        assert_int_equal(write_file_atomic(path, MACHINE_ID "\n", 33, 0644), 0);
        assert_int_equal(outcome_report_id(path, id), 0);
        /* HMAC-SHA256(key = the machine-id's bytes, "koompi-report"), as Python's hmac says. */
        assert_string_equal(id, "ad413c7513204f610eb2027afc824688f69f0fd12b2cfb6aa9e40744f51ecad1");
        assert_null(strstr(id, MACHINE_ID));
        assert_int_equal(write_file_atomic(path, "not-an-id\n", 10, 0644), 0);
        assert_int_equal(outcome_report_id(path, id), -EINVAL);
        snprintf(path, sizeof path, "%s/none", dir);
        assert_int_equal(outcome_report_id(path, id), -ENOENT);
        tl_tmpdir_remove(dir);
}

static void test_lines_are_reports(void **state) {
        _cleanup_free_ char *a = outcome_line("m1", "2026.12.2", "taken", 1796515200),
                            *b = outcome_line("m1", "2026.12.2", "rolled-back", 1796515300),
                            *c = outcome_line("m2", "2026.12.2", "booted-good", 1796515400);
        assert_string_equal(a,
                            "{\"id\":\"m1\",\"version\":\"2026.12.2\",\"outcome\":\"taken\","
                            "\"time\":\"2026-12-06T00:00:00Z\"}");
        assert_null(outcome_line("m1", "2026.12.2", "exploded", 0));
        _cleanup_free_ char *all = NULL;
        assert_true(asprintf(&all, "%s\n%s\n%s\n", a, b, c) > 0);
        unsigned taken, failed, skipped;
        assert_int_equal(reports_count(all, "2026.12.2", &taken, &failed, &skipped), 0);
        assert_int_equal(taken, 2);
        assert_int_equal(failed, 1);
        assert_int_equal(skipped, 0);
}

static void test_append_bounded_and_drop(void **state) {
        char dir[TL_TMP_MAX], path[PATH_MAX];
        _cleanup_free_ char *text = NULL;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "outcomes"), 0);
        snprintf(path, sizeof path, "%s/update/outcomes", dir);
        assert_int_equal(outcome_drop_first(path, 1), -ENOENT);
        for (int i = 0; i < 10; i++) {
                char line[32];
                snprintf(line, sizeof line, "line-%d", i);
                assert_int_equal(outcome_append(path, line, 40), 0);
        }
        assert_int_equal(read_file(path, &text, NULL), 0);
        /* The newest whole lines within 40 bytes: 7 bytes each, 5 of them. */
        assert_string_equal(text, "line-5\nline-6\nline-7\nline-8\nline-9\n");
        assert_int_equal(outcome_count_lines(text), 5);
        free(text);
        assert_int_equal(outcome_drop_first(path, 2), 0);
        assert_int_equal(read_file(path, &text, NULL), 0);
        assert_string_equal(text, "line-7\nline-8\nline-9\n");
        free(text);
        assert_int_equal(outcome_drop_first(path, 9), 0);
        assert_int_equal(read_file(path, &text, NULL), 0);
        assert_string_equal(text, "");
        assert_int_equal(outcome_count_lines(text), 0);
        assert_int_equal(outcome_count_lines("a\nb"), 2);
        tl_tmpdir_remove(dir);
}

static void test_append_after_a_torn_line(void **state) {
        char dir[TL_TMP_MAX], path[PATH_MAX];
        _cleanup_free_ char *text = NULL;
        assert_int_equal(tl_tmpdir_new(dir, sizeof dir, "outcomes"), 0);
        snprintf(path, sizeof path, "%s/queue", dir);
        assert_int_equal(write_file_atomic(path, "{\"id\":", 6, 0644), 0);
        assert_int_equal(outcome_append(path, "next", OUTCOMES_MAX_BYTES), 0);
        assert_int_equal(read_file(path, &text, NULL), 0);
        assert_string_equal(text, "{\"id\":\nnext\n");
        tl_tmpdir_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_report_id),
                cmocka_unit_test(test_lines_are_reports),
                cmocka_unit_test(test_append_bounded_and_drop),
                cmocka_unit_test(test_append_after_a_torn_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
