/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/keyboard.h>
#include <stdio.h>
#include <stdlib.h>

#include "keymap.h"
#include "testlib.h"
#include "util.h"

#define HEADER (BKEYMAP_MAGIC_LEN + BKEYMAP_NR_TABLES)
#define TABLE (BKEYMAP_NR_KEYS * 2)

static char path[TL_TMP_MAX];

static void write_conf(const char *text) {
        tl_write_text(path, text);
}

static int setup(void **state) {
        return tl_tmpfile_new(path, sizeof path, "vconsole") < 0 ? -1 : 0;
}

static int teardown(void **state) {
        unlink(path);
        return 0;
}

/* A keymap with tables 0 (plain) and 1 (shift); entry (t, k) holds 0x0b00 + t * 0x100 + k. */
static char *synthetic(size_t *ret_len) {
        size_t len = HEADER + 2 * TABLE;
        char *d = calloc(1, len);
        assert_non_null(d);
        memcpy(d, BKEYMAP_MAGIC, BKEYMAP_MAGIC_LEN);
        d[BKEYMAP_MAGIC_LEN + 0] = 1;
        d[BKEYMAP_MAGIC_LEN + 1] = 1;
        for (unsigned t = 0; t < 2; t++)
                for (unsigned k = 0; k < BKEYMAP_NR_KEYS; k++) {
                        uint16_t v = (uint16_t)(0x0b00 + t * 0x100 + k);
                        memcpy(d + HEADER + t * TABLE + k * 2, &v, 2);
                }
        *ret_len = len;
        return d;
}

struct seen {
        unsigned calls;
        unsigned tables[BKEYMAP_NR_TABLES];
        uint16_t plain[BKEYMAP_NR_KEYS];
        bool in_order;
        unsigned last; /* table * 256 + key of the previous call */
        unsigned stop_after;
};

static int record(unsigned table, unsigned key, uint16_t value, void *userdata) {
        struct seen *s = userdata;
        unsigned pos = table * 256 + key;
        if (s->calls > 0 && pos <= s->last)
                s->in_order = false;
        s->last = pos;
        s->calls++;
        s->tables[table]++;
        if (table == 0)
                s->plain[key] = value;
        if (s->stop_after && s->calls == s->stop_after)
                return -ECANCELED;
        return 0;
}

static void test_parse_synthetic(void **state) {
        size_t len;
        char *d = synthetic(&len);
        struct seen s = { .in_order = true };
        assert_int_equal(keymap_parse(d, len, record, &s), 2);
        assert_int_equal(s.calls, 2 * BKEYMAP_NR_KEYS);
        assert_int_equal(s.tables[0], BKEYMAP_NR_KEYS);
        assert_int_equal(s.tables[1], BKEYMAP_NR_KEYS);
        assert_int_equal(s.tables[2], 0);
        assert_true(s.in_order);
        assert_int_equal(s.plain[0], 0x0b00);
        assert_int_equal(s.plain[127], 0x0b7f);
        /* Checking only. */
        assert_int_equal(keymap_parse(d, len, NULL, NULL), 2);
        free(d);
}

static void test_parse_sparse_tables(void **state) {
        /* Tables need not be contiguous: 0, 2 and 255. */
        size_t len = HEADER + 3 * TABLE;
        char *d = calloc(1, len);
        assert_non_null(d);
        memcpy(d, BKEYMAP_MAGIC, BKEYMAP_MAGIC_LEN);
        d[BKEYMAP_MAGIC_LEN + 0] = d[BKEYMAP_MAGIC_LEN + 2] = d[BKEYMAP_MAGIC_LEN + 255] = 1;
        struct seen s = { .in_order = true };
        assert_int_equal(keymap_parse(d, len, record, &s), 3);
        assert_int_equal(s.tables[2], BKEYMAP_NR_KEYS);
        assert_int_equal(s.tables[255], BKEYMAP_NR_KEYS);
        assert_int_equal(s.tables[1], 0);
        free(d);
}

static void test_parse_callback_stops(void **state) {
        size_t len;
        char *d = synthetic(&len);
        struct seen s = { .in_order = true, .stop_after = 5 };
        assert_int_equal(keymap_parse(d, len, record, &s), -ECANCELED);
        assert_int_equal(s.calls, 5);
        free(d);
}

static void expect_corrupt(const char *d, size_t len) {
        struct seen s = { .in_order = true };
        assert_int_equal(keymap_parse(d, len, record, &s), -EINVAL);
        assert_int_equal(s.calls, 0); /* nothing is loaded from a corrupt file */
}

static void test_parse_rejects_corrupt(void **state) {
        size_t len;
        char *d = synthetic(&len);

        expect_corrupt(NULL, 0);
        expect_corrupt(d, 0);
        expect_corrupt(d, 5); /* inside the magic */
        expect_corrupt(d, HEADER - 1); /* inside the flags */
        expect_corrupt(d, HEADER); /* flags announce two tables, none follow */
        expect_corrupt(d, HEADER + TABLE); /* one table short */
        expect_corrupt(d, len - 1); /* one byte short */

        char *longer = calloc(1, len + 1); /* trailing garbage */
        assert_non_null(longer);
        memcpy(longer, d, len);
        expect_corrupt(longer, len + 1);
        free(longer);

        d[0] = 'B'; /* magic */
        expect_corrupt(d, len);
        d[0] = 'b';

        d[BKEYMAP_MAGIC_LEN + 7] = 2; /* a flag neither 0 nor 1 */
        expect_corrupt(d, len);
        d[BKEYMAP_MAGIC_LEN + 7] = 0;

        assert_int_equal(keymap_parse(d, len, NULL, NULL), 2); /* repaired */

        /* No table at all. */
        char empty[HEADER];
        memset(empty, 0, sizeof empty);
        memcpy(empty, BKEYMAP_MAGIC, BKEYMAP_MAGIC_LEN);
        expect_corrupt(empty, sizeof empty);
        free(d);
}

static void test_load_rejects(void **state) {
        size_t len;
        char *d = synthetic(&len);
        int fd = open("/dev/null", O_RDWR);
        assert_true(fd >= 0);
        /* A corrupt file is refused before the console is touched. */
        assert_int_equal(keymap_load(fd, d, len - 2), -EINVAL);
        /* /dev/null is no virtual terminal. */
        assert_int_equal(keymap_load(fd, d, len), -ENOTTY);
        close(fd);
        free(d);
        assert_int_equal(keymap_load_path("/nonexistent/keymap.bmap"), -ENOENT);
}

static bool have_loadkeys(void) {
        return access("/usr/bin/loadkeys", X_OK) == 0 || access("/bin/loadkeys", X_OK) == 0;
}

static void test_compile_de(void **state) {
        if (!have_loadkeys())
                skip();
        char *data = NULL;
        size_t len = 0;
        int r = keymap_compile("de", &data, &len, NULL);
        if (r == -ENOENT) /* loadkeys without keymaps (no console-data) */
                skip();
        assert_int_equal(r, 0);
        struct seen s = { .in_order = true };
        int n = keymap_parse(data, len, record, &s);
        assert_true(n >= 2);
        assert_int_equal(len, HEADER + (size_t)n * TABLE);
        assert_true(s.in_order);
        assert_true(s.tables[0] == BKEYMAP_NR_KEYS && s.tables[1] == BKEYMAP_NR_KEYS);
        /* German is QWERTZ: the key at the place of US 'y' (keycode 21) types z, and the
         * key of US 'z' (keycode 44) types y; both letters (KT_LETTER). */
        assert_int_equal(s.plain[21], (KT_LETTER << 8) | 'z');
        assert_int_equal(s.plain[44], (KT_LETTER << 8) | 'y');
        assert_int_equal(s.plain[16], (KT_LETTER << 8) | 'q');
        free(data);

        /* The US map differs exactly there. */
        r = keymap_compile("us", &data, &len, NULL);
        assert_int_equal(r, 0);
        struct seen u = { .in_order = true };
        assert_true(keymap_parse(data, len, record, &u) >= 2);
        assert_int_equal(u.plain[21], (KT_LETTER << 8) | 'y');
        assert_int_equal(u.plain[44], (KT_LETTER << 8) | 'z');
        free(data);
}

static void test_compile_missing(void **state) {
        char *data = NULL;
        size_t len = 0;
        char *error = NULL;
        if (have_loadkeys()) {
                assert_int_equal(keymap_compile("no-such-keymap-koompi", &data, &len, &error), -ENOENT);
                /* The library does not log: the caller gets the cause and what to fix. */
                assert_non_null(strstr(error, "'no-such-keymap-koompi' does not exist"));
                assert_non_null(strstr(error, "KEYMAP= in " KEYMAP_VCONSOLE_PATH));
                free(error);
                error = NULL;
        }
        assert_int_equal(keymap_compile("-h", &data, &len, &error), -EINVAL);
        assert_string_equal(error, "'-h' is not a keymap name");
        free(error);
        assert_int_equal(keymap_compile("", &data, &len, NULL), -EINVAL);

        /* loadkeys not installed. */
        char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
        setenv("PATH", "/nonexistent", 1);
        assert_int_equal(keymap_compile("de", &data, &len, &error), -ENOENT);
        assert_non_null(strstr(error, "loadkeys was not found in PATH"));
        assert_non_null(strstr(error, "install the package kbd"));
        free(error);
        if (old) {
                setenv("PATH", old, 1);
                free(old);
        } else
                unsetenv("PATH");
        assert_null(data);
}

static void expect_vconsole(const char *text, int ret, const char *name) {
        char buf[64] = "garbage";
        write_conf(text);
        assert_int_equal(keymap_from_vconsole(path, buf, sizeof buf), ret);
        if (ret == 0)
                assert_string_equal(buf, name);
}

static void test_vconsole(void **state) {
        expect_vconsole("KEYMAP=de\n", 0, "de");
        expect_vconsole("KEYMAP=de", 0, "de"); /* no final newline */
        expect_vconsole("FONT=eurlatgr\nKEYMAP=\"de-latin1\"\nXKBLAYOUT=de\n", 0, "de-latin1");
        expect_vconsole("KEYMAP='fr'\r\n", 0, "fr");
        expect_vconsole("  # comment\n\n  KEYMAP=us # trailing comment\n", 0, "us");
        expect_vconsole("export KEYMAP=dvorak\n", 0, "dvorak");
        expect_vconsole("KEYMAP=de\nKEYMAP=fr\n", 0, "fr"); /* the last one wins */
        expect_vconsole("KEYMAP=\"de\"-nodeadkeys\n", 0, "de-nodeadkeys");
        expect_vconsole("KEYMAP=\"a b\"\n", 0, "a b");
        expect_vconsole("KEYMAP_TOGGLE=ru\nKEYMAP=ru\n", 0, "ru");

        expect_vconsole("", -ENOENT, NULL);
        expect_vconsole("FONT=ter-v16n\nKEYMAP_TOGGLE=de\n", -ENOENT, NULL);
        expect_vconsole("#KEYMAP=de\n", -ENOENT, NULL);
        expect_vconsole("KEYMAP=\n", -ENOENT, NULL);
        expect_vconsole("KEYMAP=\"\"\n", -ENOENT, NULL);
        expect_vconsole("KEYMAP=de\nKEYMAP=\n", -ENOENT, NULL); /* unset again */

        char small[4];
        write_conf("KEYMAP=de-latin1\n");
        assert_int_equal(keymap_from_vconsole(path, small, sizeof small), -ENAMETOOLONG);
        write_conf("KEYMAP=fr\n");
        assert_int_equal(keymap_from_vconsole(path, small, sizeof small), 0);
        assert_string_equal(small, "fr");

        char buf[16];
        assert_int_equal(keymap_from_vconsole("/nonexistent/vconsole.conf", buf, sizeof buf), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_synthetic),      cmocka_unit_test(test_parse_sparse_tables),
                cmocka_unit_test(test_parse_callback_stops), cmocka_unit_test(test_parse_rejects_corrupt),
                cmocka_unit_test(test_load_rejects),         cmocka_unit_test(test_compile_de),
                cmocka_unit_test(test_compile_missing),      cmocka_unit_test(test_vconsole),
        };
        return cmocka_run_group_tests_name("keymap", tests, setup, teardown);
}
