/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The recovery menu without a console: the parser of what is typed, the authentication (tries,
 * waits, lockout), password hashes, the records for the ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "ledger.h"
#include "log.h"
#include "recovery.h"
#include "util.h"

/* openssl passwd -6 -salt koompisalt test-tech-pw */
static const char hash6[] = "$6$koompisalt$pUo1uSWIxqWqZEhd1eMbHOjyU6h1grBAZR1ozoBnVYSfw/oi78Twm29F"
                            "c9KBsxqhCg4GTY//FAxtewhtO5MHY1";
/* openssl passwd -1 -salt koompi test-tech-pw */
static const char hash1[] = "$1$koompi$Ilxe4cf1yxCIvAQw73X0p.";

static int quiet(void **state) {
        log_set_console_fd(-1);
        return 0;
}

static void parse_ok(const char *line, enum recovery_item item, const char *arg) {
        struct recovery_command c;
        int r = recovery_parse(line, &c);
        if (r != 0)
                fail_msg("\"%s\": %d", line, r);
        assert_int_equal(c.item, item);
        assert_string_equal(c.arg, arg);
}

static void parse_err(const char *line, int err) {
        struct recovery_command c;
        int r = recovery_parse(line, &c);
        if (r != err)
                fail_msg("\"%s\": %d, expected %d", line, r, err);
        assert_string_equal(c.arg, "");
}

static void test_parse_words(void **state) {
        parse_ok("list", RECOVERY_ITEM_LIST, "");
        parse_ok("retry", RECOVERY_ITEM_RETRY, "");
        parse_ok("log", RECOVERY_ITEM_LOG, "");
        parse_ok("shell", RECOVERY_ITEM_SHELL, "");
        parse_ok("reboot", RECOVERY_ITEM_REBOOT, "");
        parse_ok("poweroff", RECOVERY_ITEM_POWEROFF, "");
        parse_ok("boot @root-2024-12-01", RECOVERY_ITEM_BOOT, "@root-2024-12-01");
        parse_ok("good @root-current", RECOVERY_ITEM_GOOD, "@root-current");
        parse_ok("bad @root-current", RECOVERY_ITEM_BAD, "@root-current");
        parse_ok("help", RECOVERY_ITEM_HELP, "");
        parse_ok("?", RECOVERY_ITEM_HELP, "");
        parse_ok("h", RECOVERY_ITEM_HELP, "");
}

static void test_parse_numbers(void **state) {
        static const enum recovery_item by_number[] = {
                RECOVERY_ITEM_LIST,  RECOVERY_ITEM_BOOT,   RECOVERY_ITEM_RETRY,
                RECOVERY_ITEM_GOOD,  RECOVERY_ITEM_BAD,    RECOVERY_ITEM_LOG,
                RECOVERY_ITEM_SHELL, RECOVERY_ITEM_REBOOT, RECOVERY_ITEM_POWEROFF,
        };
        for (unsigned i = 0; i < ELEMENTSOF(by_number); i++) {
                char line[8];
                snprintf(line, sizeof line, "%u", i + 1);
                parse_ok(line, by_number[i], "");
        }
        parse_ok("2 @root-2024-12-01", RECOVERY_ITEM_BOOT, "@root-2024-12-01");
        parse_ok("5 x", RECOVERY_ITEM_BAD, "x");
        parse_err("0", -EINVAL);
        parse_err("10", -EINVAL);
        parse_err("-1", -EINVAL);
        parse_err("1.", -EINVAL);
}

static void test_parse_blanks_and_case(void **state) {
        parse_ok("", RECOVERY_ITEM_EMPTY, "");
        parse_ok("   \t ", RECOVERY_ITEM_EMPTY, "");
        parse_ok("\r", RECOVERY_ITEM_EMPTY, "");
        parse_ok("  Shell  ", RECOVERY_ITEM_SHELL, "");
        parse_ok("SHELL\r", RECOVERY_ITEM_SHELL, "");
        parse_ok("PowerOff", RECOVERY_ITEM_POWEROFF, "");
        parse_ok("\tBOOT\t  @Root-X  ", RECOVERY_ITEM_BOOT, "@Root-X"); /* names keep their case */
        parse_ok("boot", RECOVERY_ITEM_BOOT, ""); /* the menu then asks for the name */
        struct recovery_command c;
        assert_int_equal(recovery_parse(NULL, &c), 0);
        assert_int_equal(c.item, RECOVERY_ITEM_EMPTY);
}

static void test_parse_errors(void **state) {
        parse_err("sh", -EINVAL);
        parse_err("shel", -EINVAL);
        parse_err("shellx", -EINVAL);
        parse_err("exit", -EINVAL);
        parse_err("hunter2", -EINVAL);
        parse_err("retry now", -E2BIG);
        parse_err("shell -c id", -E2BIG);
        parse_err("7 x", -E2BIG);
        parse_err("boot a b", -E2BIG);
        parse_err("boot ../etc", -EBADMSG);
        parse_err("boot a/b", -EBADMSG);
        parse_err("boot .", -EBADMSG);
        parse_err("boot ..", -EBADMSG);
        parse_err("boot \x7f", -EBADMSG);
        parse_err("boot caf\xc3\xa9", -EBADMSG);
        parse_ok("boot ...", RECOVERY_ITEM_BOOT, "...");

        char line[RECOVERY_NAME_MAX + 16];
        memset(line, 'a', sizeof line);
        memcpy(line, "boot ", 5);
        line[5 + RECOVERY_NAME_MAX] = 0;
        struct recovery_command c;
        assert_int_equal(recovery_parse(line, &c), 0);
        assert_int_equal(strlen(c.arg), RECOVERY_NAME_MAX);
        line[5 + RECOVERY_NAME_MAX] = 'a';
        line[6 + RECOVERY_NAME_MAX] = 0;
        parse_err(line, -ENAMETOOLONG);
}

static void test_item_names(void **state) {
        assert_string_equal(recovery_item_to_string(RECOVERY_ITEM_SHELL), "shell");
        assert_string_equal(recovery_item_to_string(RECOVERY_ITEM_POWEROFF), "poweroff");
        assert_null(recovery_item_to_string(_RECOVERY_ITEM_MAX));
        /* Every word parses back to its item. */
        for (int i = RECOVERY_ITEM_HELP; i < _RECOVERY_ITEM_MAX; i++)
                parse_ok(recovery_item_to_string(i), i, "");
        assert_true(recovery_item_takes_root(RECOVERY_ITEM_BOOT));
        assert_true(recovery_item_takes_root(RECOVERY_ITEM_GOOD));
        assert_true(recovery_item_takes_root(RECOVERY_ITEM_BAD));
        assert_false(recovery_item_takes_root(RECOVERY_ITEM_SHELL));
}

static void test_match_root(void **state) {
        const char *names[] = { "@root-current", "@root-2024-12-01", "@root-2", "@other" };
        assert_int_equal(recovery_match_root(names, 4, "@root-current"), 0);
        assert_int_equal(recovery_match_root(names, 4, "root-current"), 0);
        assert_int_equal(recovery_match_root(names, 4, "current"), 0);
        assert_int_equal(recovery_match_root(names, 4, "2024-12-01"), 1);
        /* Exact first: "@root-2" is named exactly, not "the second". */
        assert_int_equal(recovery_match_root(names, 4, "@root-2"), 2);
        assert_int_equal(recovery_match_root(names, 4, "2"), 2);
        assert_int_equal(recovery_match_root(names, 4, "other"), 3);
        assert_int_equal(recovery_match_root(names, 4, "@root-"), -ENOENT);
        assert_int_equal(recovery_match_root(names, 4, "Current"), -ENOENT);
        assert_int_equal(recovery_match_root(names, 4, ""), -ENOENT);
        assert_int_equal(recovery_match_root(names, 0, "current"), -ENOENT);
}

static void test_hashes(void **state) {
        assert_true(recovery_hash_usable(hash6));
        assert_true(recovery_hash_usable(hash1));
        assert_false(recovery_hash_usable(""));
        assert_false(recovery_hash_usable(NULL));
        assert_false(recovery_hash_usable("!"));
        assert_false(recovery_hash_usable("*"));
        assert_false(recovery_hash_usable("!$6$koompisalt$x"));
        assert_false(recovery_hash_usable("$6$koompisalt$tooshort"));
        assert_false(recovery_hash_usable("test-tech-pw"));

        assert_true(recovery_password_matches(hash6, "test-tech-pw"));
        assert_true(recovery_password_matches(hash1, "test-tech-pw"));
        assert_false(recovery_password_matches(hash6, "test-tech-pW"));
        assert_false(recovery_password_matches(hash6, "test-tech-pw "));
        assert_false(recovery_password_matches(hash6, ""));
        assert_false(recovery_password_matches(hash6, NULL));
        assert_false(recovery_password_matches("", ""));
        assert_false(recovery_password_matches("*", ""));
        assert_false(recovery_password_matches("!", "!"));
        /* The hash itself is no password. */
        assert_false(recovery_password_matches(hash6, hash6));
}

static void test_auth_mode(void **state) {
        assert_int_equal(recovery_auth_mode_of("password", hash6), RECOVERY_AUTH_PASSWORD);
        assert_int_equal(recovery_auth_mode_of("", hash6), RECOVERY_AUTH_PASSWORD);
        assert_int_equal(recovery_auth_mode_of(NULL, hash6), RECOVERY_AUTH_PASSWORD);
        assert_int_equal(recovery_auth_mode_of("password", ""), RECOVERY_AUTH_UNSET);
        assert_int_equal(recovery_auth_mode_of("password", NULL), RECOVERY_AUTH_UNSET);
        assert_int_equal(recovery_auth_mode_of("password", "garbage"), RECOVERY_AUTH_BROKEN);
        /* none must be said explicitly; it wins over a hash. */
        assert_int_equal(recovery_auth_mode_of("none", ""), RECOVERY_AUTH_NONE);
        assert_int_equal(recovery_auth_mode_of("none", hash6), RECOVERY_AUTH_NONE);
}

static void test_auth_delays(void **state) {
        assert_int_equal(recovery_auth_delay_ms(0), 0);
        assert_int_equal(recovery_auth_delay_ms(1), 1000);
        assert_int_equal(recovery_auth_delay_ms(2), 2000);
        assert_int_equal(recovery_auth_delay_ms(3), 4000);
        assert_int_equal(recovery_auth_delay_ms(4), 8000);
        assert_int_equal(recovery_auth_delay_ms(100), 8000);
}

static void test_auth_accepts_after_a_failure(void **state) {
        struct recovery_auth a;
        recovery_auth_init(&a, RECOVERY_AUTH_PASSWORD);
        assert_false(a.authenticated);
        assert_true(recovery_auth_may_ask(&a));
        assert_false(recovery_item_allowed(&a, RECOVERY_ITEM_SHELL));
        assert_int_equal(recovery_auth_attempt(&a, false), 1000);
        assert_true(recovery_auth_may_ask(&a));
        assert_int_equal(recovery_auth_attempt(&a, true), 0);
        assert_true(a.authenticated);
        assert_false(recovery_auth_may_ask(&a));
        assert_false(recovery_auth_locked_out(&a));
        for (int i = RECOVERY_ITEM_EMPTY; i < _RECOVERY_ITEM_MAX; i++)
                assert_true(recovery_item_allowed(&a, i));
        /* Nothing undoes it in this boot. */
        assert_int_equal(recovery_auth_attempt(&a, false), 0);
        assert_true(a.authenticated);
        assert_int_equal(a.failures, 1);
}

static void test_auth_lockout(void **state) {
        struct recovery_auth a;
        recovery_auth_init(&a, RECOVERY_AUTH_PASSWORD);
        assert_int_equal(recovery_auth_attempt(&a, false), 1000);
        assert_int_equal(recovery_auth_attempt(&a, false), 2000);
        assert_false(recovery_auth_locked_out(&a));
        assert_int_equal(recovery_auth_attempt(&a, false), 4000);
        assert_true(recovery_auth_locked_out(&a));
        assert_false(recovery_auth_may_ask(&a));
        /* Whatever comes next, even the right password, opens nothing. */
        assert_int_equal(recovery_auth_attempt(&a, true), 0);
        assert_false(a.authenticated);
        assert_int_equal(recovery_auth_attempt(&a, false), 0);
        assert_int_equal(a.failures, RECOVERY_AUTH_MAX_FAILURES);
        assert_false(recovery_item_allowed(&a, RECOVERY_ITEM_SHELL));
        assert_false(recovery_item_allowed(&a, RECOVERY_ITEM_LIST));
        assert_false(recovery_item_allowed(&a, RECOVERY_ITEM_BOOT));
        assert_false(recovery_item_allowed(&a, RECOVERY_ITEM_GOOD));
        assert_false(recovery_item_allowed(&a, RECOVERY_ITEM_BAD));
        /* The machine can still be restarted or switched off, or the unlock tried again. */
        assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_REBOOT));
        assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_POWEROFF));
        assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_RETRY));
        assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_LOG));
        assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_HELP));
        assert_false(recovery_item_allowed(&a, _RECOVERY_ITEM_MAX));
}

/* A student trying 100 passwords: after the third, no try is even checked, none waits, and
 * nothing but restarting, switching off, retrying the unlock, the log and help is offered. */
static void test_auth_hundred_wrong(void **state) {
        struct recovery_auth a;
        unsigned waited = 0;
        recovery_auth_init(&a, RECOVERY_AUTH_PASSWORD);
        for (int i = 0; i < 100; i++)
                waited += recovery_auth_attempt(&a, false);
        assert_int_equal(waited, 1000 + 2000 + 4000);
        assert_true(recovery_auth_locked_out(&a));
        assert_false(recovery_auth_may_ask(&a));
        assert_int_equal(a.failures, RECOVERY_AUTH_MAX_FAILURES);
        assert_int_equal(recovery_auth_attempt(&a, true), 0);
        assert_false(a.authenticated);
        assert_false(recovery_item_allowed(&a, RECOVERY_ITEM_SHELL));
        assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_REBOOT));
}

static void test_auth_without_hash(void **state) {
        static const enum recovery_auth_mode modes[] = { RECOVERY_AUTH_UNSET, RECOVERY_AUTH_BROKEN };
        for (size_t m = 0; m < ELEMENTSOF(modes); m++) {
                struct recovery_auth a;
                recovery_auth_init(&a, modes[m]);
                assert_false(recovery_auth_may_ask(&a));
                assert_int_equal(recovery_auth_attempt(&a, true), 0);
                assert_false(a.authenticated);
                assert_false(recovery_item_allowed(&a, RECOVERY_ITEM_SHELL));
                assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_RETRY));
                assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_REBOOT));
                assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_POWEROFF));
        }
}

static void test_auth_none(void **state) {
        struct recovery_auth a;
        recovery_auth_init(&a, RECOVERY_AUTH_NONE);
        assert_true(a.authenticated);
        assert_false(recovery_auth_may_ask(&a));
        assert_true(recovery_item_allowed(&a, RECOVERY_ITEM_SHELL));
}

static void test_items_needing_auth(void **state) {
        assert_true(recovery_item_needs_auth(RECOVERY_ITEM_SHELL));
        assert_true(recovery_item_needs_auth(RECOVERY_ITEM_LIST));
        assert_true(recovery_item_needs_auth(RECOVERY_ITEM_BOOT));
        assert_true(recovery_item_needs_auth(RECOVERY_ITEM_GOOD));
        assert_true(recovery_item_needs_auth(RECOVERY_ITEM_BAD));
        assert_false(recovery_item_needs_auth(RECOVERY_ITEM_RETRY));
        assert_false(recovery_item_needs_auth(RECOVERY_ITEM_LOG));
        assert_false(recovery_item_needs_auth(RECOVERY_ITEM_REBOOT));
        assert_false(recovery_item_needs_auth(RECOVERY_ITEM_POWEROFF));
        assert_false(recovery_item_needs_auth(RECOVERY_ITEM_HELP));
        assert_false(recovery_item_needs_auth(RECOVERY_ITEM_EMPTY));
}

static void test_wanted(void **state) {
        assert_true(recovery_wanted(&init_stages[INIT_STAGE_DEVICE], -ENODEV));
        assert_true(recovery_wanted(&init_stages[INIT_STAGE_UNLOCK], -EPERM));
        assert_true(recovery_wanted(&init_stages[INIT_STAGE_ROOT], -ENOENT));
        assert_true(recovery_wanted(&init_stages[INIT_STAGE_ROOT], -EIO));
        /* Nobody at the prompt, or no console: the failure action, as before. */
        assert_false(recovery_wanted(&init_stages[INIT_STAGE_UNLOCK], -ETIMEDOUT));
        assert_false(recovery_wanted(&init_stages[INIT_STAGE_UNLOCK], -ECANCELED));
        assert_false(recovery_wanted(&init_stages[INIT_STAGE_SWITCH_ROOT], -ECANCELED));
        assert_false(recovery_wanted(&init_stages[INIT_STAGE_SWITCH_ROOT], -ENOENT));
        assert_false(recovery_wanted(&init_stages[INIT_STAGE_MOUNT_API], -EIO));
        assert_false(recovery_wanted(&init_stages[INIT_STAGE_SETTINGS], -ENOMEM));
        assert_false(recovery_wanted(NULL, -EIO));
        assert_false(recovery_wanted(&init_stages[INIT_STAGE_MODULES], -EIO));
}

static void test_idle(void **state) {
        /* An unattended machine set to reboot or power off must not wait at the menu forever. */
        assert_int_equal(recovery_idle_ms("reboot"), RECOVERY_IDLE_MS);
        assert_int_equal(recovery_idle_ms("poweroff"), RECOVERY_IDLE_MS);
        assert_int_equal(recovery_idle_ms("halt"), 0);
        assert_int_equal(recovery_idle_ms("shell"), 0);
        assert_int_equal(recovery_idle_ms(NULL), 0);
        assert_true(RECOVERY_IDLE_MS >= 60000);
}

static void test_format_record(void **state) {
        char buf[LEDGER_NOTE_MAX + 1];
        assert_int_equal(recovery_format_record(buf, sizeof buf, 1736505125, "opened a shell"), 0);
        assert_string_equal(buf, "technician at the console, 2025-01-10 10:32:05 UTC: opened a shell");
        assert_int_equal(recovery_format_record(buf, sizeof buf, 0, "x"), 0);
        assert_string_equal(buf, "technician at the console, at an unknown time: x");
        char small[16];
        assert_int_equal(recovery_format_record(small, sizeof small, 1, "x"), -ENOBUFS);
}

static void test_apply_records(void **state) {
        struct ledger l;
        ledger_init(&l);
        uint64_t seq = 0;
        assert_int_equal(ledger_append_boot(&l, 100, "e", "@root-current", NULL, NULL, &seq), 0);
        /* An older unacknowledged alert with the same text stays as it is. */
        assert_int_equal(ledger_add_alert(&l, 50, RECOVERY_ALERT_KIND, "same", NULL), 1);
        struct recovery_record recs[] = {
                { .kind = RECOVERY_RECORD_ALERT, .time = 200, .notify = true, .text = "opened" },
                { .kind = RECOVERY_RECORD_ALERT, .time = 201, .notify = false, .text = "listed" },
                { .kind = RECOVERY_RECORD_MARK,
                  .time = 202,
                  .action = LEDGER_MARK_BAD,
                  .root = "@root-current",
                  .text = RECOVERY_WHO ": marked bad" },
                { .kind = RECOVERY_RECORD_ALERT, .time = 203, .notify = false, .text = "same" },
                { .kind = RECOVERY_RECORD_MARK,
                  .time = 204,
                  .action = LEDGER_MARK_GOOD,
                  .root = "",
                  .text = "no root" },
        };
        assert_int_equal(recovery_apply_records(&l, recs, ELEMENTSOF(recs)), -EINVAL);
        assert_int_equal(l.n_alerts, 3);
        assert_string_equal(l.alerts[0].message, "same");
        assert_false(l.alerts[0].acked);
        assert_string_equal(l.alerts[1].kind, "recovery");
        assert_string_equal(l.alerts[1].message, "opened");
        assert_int_equal(l.alerts[1].time, 200);
        assert_false(l.alerts[1].acked);
        assert_string_equal(l.alerts[2].message, "listed");
        assert_true(l.alerts[2].acked);
        assert_int_equal(l.n_marks, 1);
        assert_string_equal(l.marks[0].root, "@root-current");
        assert_int_equal(l.marks[0].action, LEDGER_MARK_BAD);
        assert_int_equal(l.marks[0].boot, seq);
        assert_string_equal(l.marks[0].note, "technician at the console: marked bad");

        struct ledger_root_status st;
        ledger_root_status(&l, "@root-current", &st);
        assert_true(st.bad);

        /* And it survives the file format. */
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(ledger_format(&l, &text, &len), 0);
        struct ledger back;
        ledger_init(&back);
        assert_int_equal(ledger_parse(&back, text, len), 0);
        assert_int_equal(back.recovered, 0);
        assert_int_equal(back.n_alerts, 3);
        assert_string_equal(back.alerts[1].message, "opened");
        assert_int_equal(back.n_marks, 1);
        assert_string_equal(back.marks[0].note, "technician at the console: marked bad");
        free(text);
        ledger_free(&back);
        ledger_free(&l);
}

static void test_tries_left(void **state) {
        struct fallback_root r = { .name = "@root-x", .read_only = true };
        r.state = ROOT_UNTESTED;
        assert_int_equal(recovery_tries_left(&r, 3), 3);
        assert_int_equal(recovery_tries_left(&r, 0), ROOT_TRIES_DEFAULT);
        r.state = ROOT_IN_TRIAL;
        r.failures = 2;
        assert_int_equal(recovery_tries_left(&r, 3), 1);
        r.failures = 3;
        assert_int_equal(recovery_tries_left(&r, 3), 0);
        r.state = ROOT_GOOD;
        r.failures = 0;
        assert_int_equal(recovery_tries_left(&r, 3), -1);
        r.state = ROOT_BAD;
        assert_int_equal(recovery_tries_left(&r, 3), 0);
}

/* The hash reaches the menu from boot.conf intact ('$' and '/' are plain bytes there). */
static void test_config_hash(void **state) {
        char path[] = "/tmp/test-recovery-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        char text[512];
        int n = snprintf(text, sizeof text, "[recovery]\npassword_hash = %s\nauth = password\n", hash6);
        assert_int_equal(write(fd, text, (size_t)n), n);
        close(fd);
        struct koompi_config c;
        config_init_defaults(&c);
        char *error = NULL;
        assert_int_equal(config_load(&c, path, &error), 0);
        unlink(path);
        assert_string_equal(c.password_hash, hash6);
        assert_int_equal(recovery_auth_mode_of(c.auth, c.password_hash), RECOVERY_AUTH_PASSWORD);
        assert_true(recovery_password_matches(c.password_hash, "test-tech-pw"));
        config_free(&c);
        free(error);

        /* The defaults: no hash, password asked for: no shell. */
        config_init_defaults(&c);
        assert_int_equal(recovery_auth_mode_of(c.auth, c.password_hash), RECOVERY_AUTH_UNSET);
        config_free(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_words),
                cmocka_unit_test(test_parse_numbers),
                cmocka_unit_test(test_parse_blanks_and_case),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_item_names),
                cmocka_unit_test(test_match_root),
                cmocka_unit_test(test_hashes),
                cmocka_unit_test(test_auth_mode),
                cmocka_unit_test(test_auth_delays),
                cmocka_unit_test(test_auth_accepts_after_a_failure),
                cmocka_unit_test(test_auth_lockout),
                cmocka_unit_test(test_auth_hundred_wrong),
                cmocka_unit_test(test_auth_without_hash),
                cmocka_unit_test(test_auth_none),
                cmocka_unit_test(test_items_needing_auth),
                cmocka_unit_test(test_wanted),
                cmocka_unit_test(test_idle),
                cmocka_unit_test(test_format_record),
                cmocka_unit_test(test_apply_records),
                cmocka_unit_test(test_tries_left),
                cmocka_unit_test(test_config_hash),
        };
        return cmocka_run_group_tests(tests, quiet, NULL);
}
