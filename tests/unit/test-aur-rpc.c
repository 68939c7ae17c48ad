/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The AUR's RPC v5 as koompi-pkg-aur reads it: the URLs it asks, the answers it accepts, and
 * every field it hands on checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "workerline.h"

/* One result as the RPC gives it; fields replace the defaults when given. */
#define RESULT(extra)                                                                                              \
        "{\"ID\":1,\"Name\":\"hello\",\"PackageBase\":\"hello\",\"Version\":\"1.0-1\",\"Description\":\"Greets\"," \
        "\"NumVotes\":12,\"Popularity\":0.5,\"OutOfDate\":null,\"Maintainer\":\"alice\","                          \
        "\"FirstSubmitted\":1700000000,\"LastModified\":1760000000" extra "}"
#define ANSWER(type, results) \
        "{\"version\":5,\"type\":\"" type "\",\"resultcount\":1,\"results\":[" results "]}"

static json_object *parse_ok(const char *text) {
        char why[WORKER_WHY_MAX] = "";
        json_object *results = NULL;
        assert_int_equal(aur_parse_answer(text, strlen(text), &results, why), 0);
        return results;
}

static int parse_error(const char *text, char *why) {
        json_object *results = NULL;
        int r = aur_parse_answer(text, strlen(text), &results, why);
        assert_null(results);
        return r;
}

static void test_names(void **state) {
        const char *good[] = { "hello", "lib32-glibc", "python-foo.bar", "g++", "x@y", "0ad" };
        const char *bad[] = { "", "-rf", ".hidden", "a/b", "a b", "a;b", "..", "é" };
        char longest[129];
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
                assert_true(aur_valid_name(good[i]));
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_false(aur_valid_name(bad[i]));
        memset(longest, 'a', 128);
        longest[128] = '\0';
        assert_false(aur_valid_name(longest));
        longest[127] = '\0';
        assert_true(aur_valid_name(longest));
}

static void test_urls(void **state) {
        char *s = aur_search_url("http://aur.test", "web browser&x=1");
        assert_string_equal(s, "http://aur.test/rpc/?v=5&type=search&arg=web%20browser%26x%3D1");
        free(s);
        s = aur_info_url("https://aur.archlinux.org", "g++");
        assert_string_equal(s, "https://aur.archlinux.org/rpc/?v=5&type=info&arg[]=g%2B%2B");
        free(s);
        s = aur_git_url("https://aur.archlinux.org", "hello");
        assert_string_equal(s, "https://aur.archlinux.org/hello.git");
        free(s);
}

static void test_answer_accepted(void **state) {
        json_object *results = parse_ok(ANSWER("search", RESULT("") "," RESULT("")));
        assert_int_equal(json_object_array_length(results), 2);
        json_object_put(results);
        results = parse_ok("{\"version\":5,\"type\":\"multiinfo\",\"resultcount\":0,\"results\":[]}");
        assert_int_equal(json_object_array_length(results), 0);
        json_object_put(results);
}

static void test_answer_refused(void **state) {
        char why[WORKER_WHY_MAX] = "";
        assert_int_equal(
                parse_error("{\"version\":5,\"type\":\"error\",\"error\":\"Too many package results.\"}",
                            why),
                -EIO);
        assert_non_null(strstr(why, "Too many package results."));
        assert_int_equal(parse_error("<html>Bad gateway</html>", why), -EBADMSG);
        assert_int_equal(parse_error("{\"version\":4,\"type\":\"search\",\"results\":[]}", why), -EBADMSG);
        assert_int_equal(parse_error("{\"version\":5,\"type\":\"search\"}", why), -EBADMSG);
        assert_int_equal(parse_error("{\"version\":5,\"type\":\"search\",\"results\":{}}", why), -EBADMSG);
        assert_int_equal(parse_error("{\"version\":5,\"type\":\"search\",\"results\":[", why), -EBADMSG);
        assert_int_equal(parse_error("[]", why), -EBADMSG);
        assert_int_equal(parse_error("", why), -EBADMSG);
}

static const char *str(json_object *o, const char *key) {
        json_object *v = NULL;
        assert_true(json_object_object_get_ex(o, key, &v));
        return json_object_get_string(v);
}

static void test_item(void **state) {
        json_object *results = parse_ok(ANSWER("search", RESULT("")));
        json_object *it = aur_item(json_object_array_get_idx(results, 0));
        assert_non_null(it);
        assert_string_equal(str(it, "name"), "hello");
        assert_string_equal(str(it, "id"), "hello");
        assert_string_equal(str(it, "version"), "1.0-1");
        assert_string_equal(str(it, "summary"), "Greets");
        assert_string_equal(str(it, "source"), "aur");
        json_object_put(it);
        json_object_put(results);
}

/* A result whose Name, Version or PackageBase could not be handed on is dropped. */
static void test_item_refused(void **state) {
        const char *bad[] = {
                ANSWER("search", "{\"Name\":\"../x\",\"PackageBase\":\"x\",\"Version\":\"1\"}"),
                ANSWER("search", "{\"Name\":\"x\",\"PackageBase\":\"x\"}"),
                ANSWER("search", "{\"Name\":\"x\",\"PackageBase\":\"x y\",\"Version\":\"1\"}"),
                ANSWER("search", "{\"Name\":\"x\",\"PackageBase\":\"x\",\"Version\":\"1\\n2\"}"),
                ANSWER("search", "{\"Name\":5,\"PackageBase\":\"x\",\"Version\":\"1\"}"),
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                json_object *results = parse_ok(bad[i]);
                assert_false(aur_result_valid(json_object_array_get_idx(results, 0)));
                assert_null(aur_item(json_object_array_get_idx(results, 0)));
                json_object_put(results);
        }
}

/* A long description is cut where a character starts, never inside one. */
static void test_summary_cut(void **state) {
        char text[1200], *p = text;
        p += sprintf(p,
                     "{\"version\":5,\"type\":\"search\",\"results\":[{\"Name\":\"x\",\"PackageBase\":\"x\","
                     "\"Version\":\"1\",\"Description\":\"a");
        for (int i = 0; i < 300; i++)
                p += sprintf(p, "\u00e9"); /* é: two bytes each */
        sprintf(p, "\"}]}");
        json_object *results = parse_ok(text), *it = aur_item(json_object_array_get_idx(results, 0));
        const char *summary = str(it, "summary");
        assert_int_equal(strlen(summary), AUR_SUMMARY_MAX - 1);
        assert_int_equal((unsigned char)summary[0], 'a');
        assert_int_equal((unsigned char)summary[strlen(summary) - 2], 0xC3);
        json_object_put(it);
        json_object_put(results);
}

static void test_info_facts(void **state) {
        json_object *results =
                parse_ok(ANSWER("multiinfo",
                                RESULT("") "," RESULT(",\"Name\":\"orphan\","
                                                      "\"Maintainer\":null,\"OutOfDate\":1765000000,"
                                                      "\"Description\":null")));
        json_object *info = aur_info(aur_find(results, "orphan")), *facts = NULL, *v = NULL;
        assert_non_null(info);
        assert_true(json_object_object_get_ex(info, "facts", &facts));
        assert_true(json_object_object_get_ex(facts, "maintainer", &v));
        assert_null(v);
        assert_true(json_object_get_boolean(json_object_object_get(facts, "out_of_date")));
        assert_int_equal(json_object_get_int64(json_object_object_get(facts, "votes")), 12);
        assert_int_equal(json_object_get_int64(json_object_object_get(facts, "first_submitted")), 1700000000);
        assert_true(json_object_get_boolean(json_object_object_get(info, "needs_restart")));
        assert_string_equal(str(info, "summary"), "");
        json_object_put(info);
        info = aur_info(aur_find(results, "hello"));
        facts = json_object_object_get(info, "facts");
        assert_string_equal(str(facts, "maintainer"), "alice");
        assert_false(json_object_get_boolean(json_object_object_get(facts, "out_of_date")));
        assert_true(json_object_get_double(json_object_object_get(facts, "popularity")) == 0.5);
        json_object_put(info);
        assert_null(aur_find(results, "nope"));
        json_object_put(results);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_urls),
                cmocka_unit_test(test_answer_accepted),
                cmocka_unit_test(test_answer_refused),
                cmocka_unit_test(test_item),
                cmocka_unit_test(test_item_refused),
                cmocka_unit_test(test_summary_cut),
                cmocka_unit_test(test_info_facts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
