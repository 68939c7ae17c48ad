/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ledger.h"
#include "testlib.h"
#include "util.h"

#define T0 1732400000u

static char dir[TL_TMP_MAX];
static char path[TL_TMP_MAX + 16];

static int setup(void **state) {
        if (tl_tmpdir_new(dir, sizeof dir, "ledger") < 0)
                return -1;
        snprintf(path, sizeof path, "%s", tl_path(dir, "ledger"));
        return 0;
}

static int teardown(void **state) {
        return tl_tmpdir_remove(dir) < 0 ? -1 : 0;
}

static void write_text(const char *text, size_t len) {
        tl_write_file(path, text, len, 0644);
}

/* One whole boot: closes the previous one, appends, moves to stage, then sets the outcome
 * unless it is in-progress. */
static uint64_t add_boot(struct ledger *l, const char *root, enum ledger_stage stage,
                         enum ledger_outcome outcome) {
        uint64_t seq = 0;
        ledger_close_stale(l);
        assert_int_equal(ledger_append_boot(l, T0 + l->n_boots, NULL, root, NULL, NULL, &seq), 0);
        assert_int_equal(ledger_set_stage(l, stage, NULL), 0);
        if (outcome != LEDGER_OUTCOME_IN_PROGRESS)
                assert_int_equal(ledger_set_outcome(l, outcome, NULL), 0);
        return seq;
}

static void assert_same_ledger(const struct ledger *a, const struct ledger *b) {
        assert_int_equal(a->n_boots, b->n_boots);
        assert_int_equal(a->n_marks, b->n_marks);
        assert_int_equal(a->n_alerts, b->n_alerts);
        for (size_t i = 0; i < a->n_boots; i++) {
                const struct ledger_boot *x = &a->boots[i], *y = &b->boots[i];
                assert_int_equal(x->seq, y->seq);
                assert_int_equal(x->time, y->time);
                assert_string_equal(x->entry, y->entry);
                assert_string_equal(x->root, y->root);
                assert_string_equal(x->uuid, y->uuid);
                assert_int_equal(x->stage, y->stage);
                assert_int_equal(x->outcome, y->outcome);
                assert_string_equal(x->note, y->note);
        }
        for (size_t i = 0; i < a->n_marks; i++) {
                const struct ledger_mark *x = &a->marks[i], *y = &b->marks[i];
                assert_int_equal(x->boot, y->boot);
                assert_int_equal(x->time, y->time);
                assert_string_equal(x->root, y->root);
                assert_int_equal(x->action, y->action);
                assert_string_equal(x->note, y->note);
        }
        for (size_t i = 0; i < a->n_alerts; i++) {
                const struct ledger_alert *x = &a->alerts[i], *y = &b->alerts[i];
                assert_int_equal(x->seq, y->seq);
                assert_int_equal(x->time, y->time);
                assert_string_equal(x->kind, y->kind);
                assert_string_equal(x->message, y->message);
                assert_int_equal(x->acked, y->acked);
        }
}

/* A ledger with every kind of record and every awkward character. */
static void fill_sample(struct ledger *l) {
        uint64_t seq;

        assert_int_equal(ledger_append_boot(l, T0, "koompi-root-current.conf", "@root-current",
                                            "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab", "first boot", &seq),
                         0);
        assert_int_equal(seq, 1);
        assert_int_equal(ledger_set_stage(l, LEDGER_STAGE_GOOD, NULL), 0);
        ledger_close_stale(l);
        assert_int_equal(ledger_append_boot(l, T0 + 60, "", "@root new", NULL,
                                            "tab\there, newline\nthere, 100% sure, cr\r, -", &seq),
                         0);
        assert_int_equal(seq, 2);
        assert_int_equal(ledger_set_stage(l, LEDGER_STAGE_SWITCHED, NULL), 0);
        assert_int_equal(ledger_set_outcome(l, LEDGER_OUTCOME_FAILED, NULL), 0);
        ledger_close_stale(l);
        assert_int_equal(ledger_append_boot(l, T0 + 120, "-", "-x", "-", "-", &seq), 0);
        assert_int_equal(ledger_mark_root(l, T0 + 130, "@root new", LEDGER_MARK_REARM, "ស្វាគមន៍ — try again"),
                         0);
        assert_int_equal(ledger_add_alert(l, T0 + 121, "fallback",
                                          "@root new failed 3 boots in a row; booted @root-current", &seq),
                         1);
        assert_int_equal(seq, 1);
        assert_int_equal(ledger_add_alert(l, T0 + 122, "odd kind", "", &seq), 1);
        assert_int_equal(seq, 2);
        assert_int_equal(ledger_ack_alerts(l, 2), 1);
}

static void test_round_trip(void **state) {
        struct ledger l, m;
        char *text = NULL, *text2 = NULL;
        size_t len, len2;

        ledger_init(&l);
        ledger_init(&m);
        fill_sample(&l);
        assert_int_equal(ledger_format(&l, &text, &len), 0);
        assert_int_equal(strlen(text), len);

        /* The format as documented. */
        assert_non_null(startswith(text,
                                   "koompi-boot-ledger 1\n"
                                   "boot 1 1732400000 koompi-root-current.conf @root-current "
                                   "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab good good first%20boot\n"
                                   "boot 2 1732400060 - @root%20new - switched failed "));
        assert_non_null(strstr(text, "\nboot 3 1732400120 %2D -x %2D started in-progress %2D\n"));
        assert_non_null(strstr(text, "\nmark 3 1732400130 @root%20new rearm ស្វាគមន៍%20—%20try%20again\n"));
        assert_non_null(strstr(text,
                               " switched failed "
                               "tab%09here,%20newline%0Athere,%20100%25%20sure,%20cr%0D,%20-\n"));
        assert_non_null(strstr(text, "\nalert 2 1732400122 odd%20kind acked -\n"));
        /* One record per line whatever the notes hold. */
        size_t lines = 0;
        for (const char *p = text; *p; p++)
                lines += *p == '\n';
        assert_int_equal(lines, 1 + 3 + 1 + 2);

        assert_int_equal(ledger_parse(&m, text, len), 0);
        assert_int_equal(m.version, 1);
        assert_int_equal(m.recovered, 0);
        assert_int_equal(m.ignored, 0);
        assert_same_ledger(&l, &m);
        assert_string_equal(m.boots[1].note, "tab\there, newline\nthere, 100% sure, cr\r, -");
        assert_string_equal(m.marks[0].note, "ស្វាគមន៍ — try again");
        assert_string_equal(m.boots[2].entry, "-");
        assert_string_equal(m.boots[0].note, "first boot");
        assert_int_equal(ledger_format(&m, &text2, &len2), 0);
        assert_string_equal(text, text2);
        free(text2);

        /* Through a file. */
        assert_int_equal(ledger_save(&l, path), 0);
        assert_int_equal(ledger_load(&m, path), 0);
        assert_same_ledger(&l, &m);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);

        free(text);
        ledger_free(&l);
        ledger_free(&m);
}

static void test_notes_cut(void **state) {
        struct ledger l;
        char note[LEDGER_NOTE_MAX + 50];

        ledger_init(&l);
        memset(note, 'n', sizeof note - 1);
        note[sizeof note - 1] = 0;
        assert_int_equal(ledger_append_boot(&l, T0, NULL, "@r", NULL, note, NULL), 0);
        assert_int_equal(strlen(ledger_current(&l)->note), LEDGER_NOTE_MAX);
        /* Never inside a UTF-8 sequence: "ក" is 3 bytes. */
        note[0] = 0;
        while (strlen(note) + 3 < sizeof note - 1)
                strcat(note, "ក");
        assert_int_equal(ledger_set_outcome(&l, LEDGER_OUTCOME_FAILED, note), 0);
        assert_int_equal(strlen(ledger_current(&l)->note), LEDGER_NOTE_MAX / 3 * 3);
        assert_int_equal(ledger_append_boot(&l, T0, NULL, "", NULL, NULL, NULL), -EINVAL);
        assert_int_equal(ledger_append_boot(&l, T0, NULL, NULL, NULL, NULL, NULL), -EINVAL);
        ledger_free(&l);
}

static void test_missing_and_empty(void **state) {
        struct ledger l;

        ledger_init(&l);
        assert_int_equal(ledger_load(&l, "/nonexistent/koompi/ledger"), 0);
        assert_int_equal(l.n_boots, 0);
        assert_int_equal(l.recovered, 0);
        assert_null(ledger_current(&l));
        assert_int_equal(ledger_set_stage(&l, LEDGER_STAGE_UNLOCKED, NULL), -ENOENT);
        assert_int_equal(ledger_set_outcome(&l, LEDGER_OUTCOME_GOOD, NULL), -ENOENT);

        write_text("", 0);
        assert_int_equal(ledger_load(&l, path), 0);
        assert_int_equal(l.n_boots + l.n_marks + l.n_alerts, 0);
        assert_int_equal(l.recovered, 0);
        assert_int_equal(l.version, 0);

        /* A directory cannot be read: an error, but an empty ledger all the same. */
        assert_true(ledger_load(&l, dir) < 0);
        assert_int_equal(l.n_boots, 0);

        /* Sequences start at 1 on an empty ledger. */
        uint64_t seq;
        assert_int_equal(ledger_append_boot(&l, T0, NULL, "@r", NULL, NULL, &seq), 0);
        assert_int_equal(seq, 1);
        ledger_free(&l);
}

/* A first boot's ledger has no arrays at all: every walk over it is empty, without pointer
 * arithmetic on NULL (clang's UBSan fails this test otherwise). */
static void test_empty_walks(void **state) {
        struct ledger l;
        struct ledger_root_status st;
        char *text = NULL;
        size_t len = 0, n = 0;

        ledger_init(&l);
        LEDGER_FOREACH_BOOT(b, &l)
                n++;
        LEDGER_FOREACH_MARK(m, &l)
                n++;
        LEDGER_FOREACH_ALERT(a, &l)
                n++;
        assert_int_equal(n, 0);
        assert_null(ledger_next_unacked(&l, NULL));
        assert_int_equal(ledger_count_unacked(&l), 0);
        assert_int_equal(ledger_close_stale(&l), 0);
        ledger_root_status(&l, "@r", &st);
        assert_null(st.last);
        assert_int_equal(ledger_ack_alerts(&l, 0), 0);
        ledger_trim(&l);
        assert_int_equal(ledger_format(&l, &text, &len), 0);
        free(text);
        assert_int_equal(ledger_mark_root(&l, T0, "@r", LEDGER_MARK_GOOD, NULL), 0);
        ledger_free(&l);
}

/* Every prefix of a good file loads the records whose lines are whole, and no others. */
static void test_truncated(void **state) {
        struct ledger l, m;
        char *text = NULL;
        size_t len;

        ledger_init(&l);
        ledger_init(&m);
        fill_sample(&l);
        assert_int_equal(ledger_format(&l, &text, &len), 0);

        for (size_t cut = 0; cut <= len; cut++) {
                size_t whole = 0; /* complete record lines in text[0, cut) */
                bool partial = cut > 0 && text[cut - 1] != '\n';
                for (size_t i = 0; i < cut; i++)
                        whole += text[i] == '\n';
                if (whole > 0)
                        whole--; /* the header */

                assert_int_equal(ledger_parse(&m, text, cut), 0);
                assert_int_equal(m.n_boots + m.n_marks + m.n_alerts, whole);
                assert_int_equal(m.recovered, partial ? 1 : 0);
                /* What is there is exactly what was written. */
                for (size_t i = 0; i < m.n_boots; i++) {
                        assert_int_equal(m.boots[i].seq, l.boots[i].seq);
                        assert_string_equal(m.boots[i].note, l.boots[i].note);
                }
        }

        /* Through a file: cut in the middle of the last line. */
        write_text(text, len - 5);
        assert_int_equal(ledger_load(&m, path), 0);
        assert_int_equal(m.n_alerts, 1);
        assert_int_equal(m.recovered, 1);
        assert_int_equal(m.n_boots, 3);

        free(text);
        ledger_free(&l);
        ledger_free(&m);
}

static uint32_t rng_state = 0x12345678;
static uint32_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 17;
        rng_state ^= rng_state << 5;
        return rng_state;
}

static void test_garbage(void **state) {
        struct ledger l;
        char buf[4096];

        ledger_init(&l);

        /* Text that is not a ledger at all. */
        static const char junk[] = "hello world\n"
                                   "boot\n"
                                   "boot x 1 a b c started good n\n"
                                   "boot 0 1 a b c started good n\n"
                                   "boot 1 1 a - c started good n\n"
                                   "boot 1 1 a b c begun good n\n"
                                   "boot 1 1 a b c started fine n\n"
                                   "boot 1 1 a b c started good n extra\n"
                                   "boot 1 1 a b c started  good n\n"
                                   "boot 1 1 a b c started good n \n"
                                   " boot 1 1 a b c started good n\n"
                                   "boot 1 1 a b\tc started good n\n"
                                   "boot 1 1 a b%2 started good n\n"
                                   "boot 1 1 a b%zz started good n\n"
                                   "boot 1 1 a b%00c started good n\n"
                                   "boot 1 99999999999999999999 a b c started good n\n"
                                   "boot 1 1 a b c started good n\r\n"
                                   "alert 1 1 k maybe m\n"
                                   "alert 1 1 - new m\n"
                                   "mark 1 1 r destroy n\n"
                                   "koompi-boot-ledger 1\n"
                                   "\n\n";
        assert_int_equal(ledger_parse(&l, junk, sizeof junk - 1), 0);
        assert_int_equal(l.n_boots + l.n_marks + l.n_alerts, 0);
        assert_int_equal(l.recovered, 21);
        assert_int_equal(l.version, 0);

        /* A NUL inside a line loses only that line. */
        static const char nul[] =
                "koompi-boot-ledger 1\nboot 1 1 - @a - good good -\nboot 2 1 - @b\0 - good good -\n"
                "boot 3 1 - @c - good good -\n";
        assert_int_equal(ledger_parse(&l, nul, sizeof nul - 1), 0);
        assert_int_equal(l.n_boots, 2);
        assert_string_equal(l.boots[1].root, "@c");
        assert_int_equal(l.recovered, 1);

        /* Random bytes, and random bytes over a real file: never a failure. */
        for (int round = 0; round < 2000; round++) {
                size_t n = rng() % sizeof buf;
                for (size_t i = 0; i < n; i++) {
                        uint32_t r = rng();
                        /* Mostly printable, with spaces and newlines, to reach deep into the parser. */
                        buf[i] = r % 7 == 0 ? '\n' : r % 5 == 0 ? ' ' : r % 11 == 0 ? '%' : (char)(r >> 8);
                }
                if (round % 2) {
                        static const char head[] = "koompi-boot-ledger 1\nboot 1 1 - @a - good good -\nboot ";
                        size_t h = sizeof head - 1 < n ? sizeof head - 1 : n;
                        memcpy(buf, head, h);
                }
                assert_int_equal(ledger_parse(&l, buf, n), 0);
                assert_true(l.n_boots <= n / 16 + 1);
        }

        /* An entirely garbage file: empty ledger, damage counted. */
        for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (char)rng();
        for (size_t i = 0; i < sizeof buf; i += 100)
                buf[i] = '\n';
        write_text(buf, sizeof buf);
        assert_int_equal(ledger_load(&l, path), 0);
        assert_int_equal(l.n_boots + l.n_marks + l.n_alerts, 0);
        assert_true(l.recovered >= 40);

        /* One flipped byte loses one record, not the file. */
        struct ledger s;
        char *text = NULL;
        size_t len;
        ledger_init(&s);
        fill_sample(&s);
        assert_int_equal(ledger_format(&s, &text, &len), 0);
        char *second = strstr(text, "\nboot 2 ");
        assert_non_null(second);
        second[3] = 'X';
        assert_int_equal(ledger_parse(&l, text, len), 0);
        assert_int_equal(l.n_boots, 2);
        assert_int_equal(l.boots[1].seq, 3);
        assert_int_equal(l.recovered, 1);
        assert_int_equal(l.n_alerts, 2);
        free(text);
        ledger_free(&s);
        ledger_free(&l);
}

static void test_oversized_file(void **state) {
        struct ledger l;
        size_t n = LEDGER_FILE_MAX + 4096;
        char *big = malloc(n);
        static const char line[] = "boot 1 1732400000 - @root-current - good good -\n";

        assert_non_null(big);
        memcpy(big, "koompi-boot-ledger 1\n", 21);
        for (size_t i = 21; i < n; i++)
                big[i] = line[(i - 21) % (sizeof line - 1)];
        write_text(big, n);
        free(big);

        ledger_init(&l);
        assert_int_equal(ledger_load(&l, path), 0);
        /* Read up to the limit; the line cut there is counted. */
        assert_int_equal(l.n_boots, (LEDGER_FILE_MAX - 21) / (sizeof line - 1));
        assert_int_equal(l.recovered, 1);
        ledger_free(&l);
}

static void test_future_version(void **state) {
        struct ledger l;
        static const char v2[] = "koompi-boot-ledger 2\n"
                                 "boot 7 1732400000 - @root-current - switched good note extra1 extra2\n"
                                 "snapshot @root-current ro 123\n"
                                 "alert 4 1732400001 fallback new msg new-field\n"
                                 "boot 8 1732400002 - @root-current - switched in-progress -\n"
                                 "boot 9 x - @root-current - switched in-progress -\n"
                                 "boot  10 1 - @r - started good -\n";
        char *text = NULL;

        ledger_init(&l);
        assert_int_equal(ledger_parse(&l, v2, sizeof v2 - 1), 0);
        assert_int_equal(l.version, 2);
        assert_int_equal(l.n_boots, 2);
        assert_int_equal(l.boots[0].seq, 7);
        assert_string_equal(l.boots[0].note, "note");
        assert_int_equal(l.n_alerts, 1);
        assert_string_equal(l.alerts[0].message, "msg");
        assert_int_equal(l.ignored, 2);
        assert_int_equal(l.recovered, 1);

        /* It is saved as version 1, numbering carried on. */
        uint64_t seq;
        assert_int_equal(ledger_close_stale(&l), 1);
        assert_int_equal(ledger_append_boot(&l, T0, NULL, "@root-current", NULL, NULL, &seq), 0);
        assert_int_equal(seq, 9);
        assert_int_equal(ledger_add_alert(&l, T0, "fallback", "other", &seq), 1);
        assert_int_equal(seq, 5);
        assert_int_equal(ledger_format(&l, &text, NULL), 0);
        assert_non_null(startswith(
                text, "koompi-boot-ledger 1\nboot 7 1732400000 - @root-current - switched good note\n"));
        free(text);

        /* The same extra field in a version 1 file is damage. */
        static const char v1[] = "koompi-boot-ledger 1\n"
                                 "boot 7 1732400000 - @root-current - switched good note extra1\n";
        assert_int_equal(ledger_parse(&l, v1, sizeof v1 - 1), 0);
        assert_int_equal(l.n_boots, 0);
        assert_int_equal(l.recovered, 1);

        /* No header at all: records are still read. */
        static const char bare[] = "boot 7 1732400000 - @root-current - switched good -\n";
        assert_int_equal(ledger_parse(&l, bare, sizeof bare - 1), 0);
        assert_int_equal(l.n_boots, 1);
        assert_int_equal(l.version, 0);
        ledger_free(&l);
}

static void test_out_of_order(void **state) {
        struct ledger l;
        static const char text[] = "koompi-boot-ledger 1\n"
                                   "alert 2 5 k new b\n"
                                   "boot 3 3 - @c - started failed -\n"
                                   "boot 1 1 - @a - started failed -\n"
                                   "alert 1 4 k new a\n"
                                   "boot 2 2 - @b - started failed -\n";
        ledger_init(&l);
        assert_int_equal(ledger_parse(&l, text, sizeof text - 1), 0);
        assert_int_equal(l.n_boots, 3);
        assert_string_equal(l.boots[0].root, "@a");
        assert_string_equal(l.boots[2].root, "@c");
        assert_string_equal(ledger_current(&l)->root, "@c");
        assert_string_equal(l.alerts[0].message, "a");
        ledger_free(&l);
}

static void test_close_stale(void **state) {
        struct ledger l;
        static const struct {
                enum ledger_stage stage;
                enum ledger_outcome want;
        } cases[] = {
                { LEDGER_STAGE_STARTED, LEDGER_OUTCOME_ABANDONED },
                { LEDGER_STAGE_UNLOCKED, LEDGER_OUTCOME_FAILED },
                { LEDGER_STAGE_ROOT_MOUNTED, LEDGER_OUTCOME_FAILED },
                { LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_FAILED },
                { LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD },
                { LEDGER_STAGE_MARKED_BAD, LEDGER_OUTCOME_BAD },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char text[256];
                snprintf(text, sizeof text,
                         "koompi-boot-ledger 1\n"
                         "boot 1 1 - @a - started failed -\n"
                         "boot 2 2 - @a - %s in-progress -\n",
                         ledger_stage_to_string(cases[i].stage));
                ledger_init(&l);
                assert_int_equal(ledger_parse(&l, text, strlen(text)), 0);
                assert_int_equal(l.n_boots, 2);
                assert_int_equal(ledger_close_stale(&l), 1);
                assert_int_equal(l.boots[1].outcome, cases[i].want);
                assert_int_equal(l.boots[1].stage, cases[i].stage);
                /* Finished boots are left alone. */
                assert_int_equal(l.boots[0].outcome, LEDGER_OUTCOME_FAILED);
                assert_int_equal(ledger_close_stale(&l), 0);
                ledger_free(&l);
        }

        /* The usual path: a boot that died after unlocking is found at the next boot. */
        ledger_init(&l);
        assert_int_equal(ledger_append_boot(&l, T0, NULL, "@new", NULL, NULL, NULL), 0);
        assert_int_equal(ledger_set_stage(&l, LEDGER_STAGE_UNLOCKED, NULL), 0);
        assert_int_equal(ledger_save(&l, path), 0);
        ledger_free(&l);
        ledger_init(&l);
        assert_int_equal(ledger_load(&l, path), 0);
        assert_int_equal(ledger_current(&l)->outcome, LEDGER_OUTCOME_IN_PROGRESS);
        assert_int_equal(ledger_close_stale(&l), 1);
        assert_int_equal(ledger_current(&l)->outcome, LEDGER_OUTCOME_FAILED);
        assert_int_equal(ledger_root_failures(&l, "@new"), 1);
        ledger_free(&l);
}

static void test_stages(void **state) {
        struct ledger l;
        ledger_init(&l);
        assert_int_equal(ledger_append_boot(&l, T0, "e", "@a", "u", "n", NULL), 0);
        assert_int_equal(ledger_set_stage(&l, LEDGER_STAGE_ROOT_MOUNTED, "mounted"), 0);
        assert_int_equal(ledger_current(&l)->stage, LEDGER_STAGE_ROOT_MOUNTED);
        assert_string_equal(ledger_current(&l)->note, "mounted");
        /* Never backwards; the note still changes. */
        assert_int_equal(ledger_set_stage(&l, LEDGER_STAGE_UNLOCKED, "late"), 0);
        assert_int_equal(ledger_current(&l)->stage, LEDGER_STAGE_ROOT_MOUNTED);
        assert_string_equal(ledger_current(&l)->note, "late");
        assert_int_equal(ledger_current(&l)->outcome, LEDGER_OUTCOME_IN_PROGRESS);
        assert_int_equal(ledger_set_stage(&l, LEDGER_STAGE_GOOD, NULL), 0);
        assert_int_equal(ledger_current(&l)->outcome, LEDGER_OUTCOME_GOOD);
        assert_string_equal(ledger_current(&l)->note, "late");
        assert_int_equal(ledger_set_stage(&l, LEDGER_STAGE_MARKED_BAD, NULL), 0);
        assert_int_equal(ledger_current(&l)->outcome, LEDGER_OUTCOME_BAD);
        assert_int_equal(ledger_set_stage(&l, _LEDGER_STAGE_MAX, NULL), -EINVAL);
        assert_int_equal(ledger_set_stage(&l, _LEDGER_STAGE_INVALID, NULL), -EINVAL);
        assert_int_equal(ledger_set_outcome(&l, _LEDGER_OUTCOME_MAX, NULL), -EINVAL);

        assert_int_equal(ledger_stage_from_string("root-mounted"), LEDGER_STAGE_ROOT_MOUNTED);
        assert_int_equal(ledger_stage_from_string("nope"), _LEDGER_STAGE_INVALID);
        assert_int_equal(ledger_outcome_from_string("fell-back"), LEDGER_OUTCOME_FELL_BACK);
        assert_string_equal(ledger_outcome_to_string(LEDGER_OUTCOME_ABANDONED), "abandoned");
        assert_null(ledger_outcome_to_string(_LEDGER_OUTCOME_MAX));
        assert_int_equal(ledger_mark_action_from_string("rearm"), LEDGER_MARK_REARM);
        ledger_free(&l);
}

static void test_failures(void **state) {
        struct ledger l;
        struct ledger_root_status s;

        ledger_init(&l);
        assert_int_equal(ledger_root_failures(&l, "@new"), 0);
        assert_false(ledger_root_was_good(&l, "@new"));
        assert_null(ledger_last_boot_of(&l, "@new"));

        add_boot(&l, "@cur", LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD);
        add_boot(&l, "@new", LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_FAILED);
        add_boot(&l, "@new", LEDGER_STAGE_STARTED, LEDGER_OUTCOME_ABANDONED);
        add_boot(&l, "@cur", LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD); /* other roots don't reset it */
        add_boot(&l, "@new", LEDGER_STAGE_UNLOCKED, LEDGER_OUTCOME_FELL_BACK);
        add_boot(&l, "@new", LEDGER_STAGE_STARTED, LEDGER_OUTCOME_ABANDONED);
        add_boot(&l, "@new", LEDGER_STAGE_STARTED, LEDGER_OUTCOME_ABANDONED);
        assert_int_equal(ledger_root_failures(&l, "@new"), 2);
        /* A boot that died after the prompt is found at the next boot and counts. */
        add_boot(&l, "@new", LEDGER_STAGE_ROOT_MOUNTED, LEDGER_OUTCOME_IN_PROGRESS);
        assert_int_equal(ledger_root_failures(&l, "@new"), 2);
        assert_int_equal(ledger_close_stale(&l), 1);
        assert_int_equal(ledger_root_failures(&l, "@new"), 3);
        /* And one that died at the prompt does not. */
        add_boot(&l, "@new", LEDGER_STAGE_STARTED, LEDGER_OUTCOME_IN_PROGRESS);
        assert_int_equal(ledger_close_stale(&l), 1);
        assert_int_equal(ledger_root_failures(&l, "@new"), 3);
        assert_false(ledger_root_was_good(&l, "@new"));
        assert_int_equal(ledger_root_failures(&l, "@cur"), 0);
        assert_true(ledger_root_was_good(&l, "@cur"));

        ledger_root_status(&l, "@new", &s);
        assert_int_equal(s.boots, 7);
        assert_int_equal(s.failures, 3);
        assert_false(s.good);
        assert_false(s.bad);
        assert_int_equal(s.mark, _LEDGER_MARK_INVALID);
        assert_ptr_equal(s.last, ledger_last_boot_of(&l, "@new"));
        assert_int_equal(s.last->seq, 9);

        /* A good boot resets the count; failures after it count again. */
        add_boot(&l, "@new", LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD);
        assert_int_equal(ledger_root_failures(&l, "@new"), 0);
        assert_true(ledger_root_was_good(&l, "@new"));
        add_boot(&l, "@new", LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_FAILED);
        add_boot(&l, "@new", LEDGER_STAGE_MARKED_BAD, LEDGER_OUTCOME_BAD);
        ledger_root_status(&l, "@new", &s);
        assert_int_equal(s.failures, 2);
        assert_true(s.good);
        assert_false(s.bad); /* a root once good is not condemned by a health check */

        /* A root declared bad before it was ever good is bad at once. */
        add_boot(&l, "@newer", LEDGER_STAGE_MARKED_BAD, LEDGER_OUTCOME_BAD);
        ledger_root_status(&l, "@newer", &s);
        assert_true(s.bad);
        assert_int_equal(s.failures, 1);
        ledger_free(&l);
}

static void test_marks(void **state) {
        struct ledger l;
        struct ledger_root_status s;

        ledger_init(&l);
        assert_int_equal(ledger_mark_root(&l, T0, "@new", LEDGER_MARK_BAD, NULL), 0);
        assert_int_equal(l.marks[0].boot, 0);
        ledger_root_status(&l, "@new", &s);
        assert_true(s.bad);
        assert_int_equal(s.mark, LEDGER_MARK_BAD);

        for (int i = 0; i < 3; i++)
                add_boot(&l, "@new", LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_FAILED);
        /* Rearmed: the three failures before are forgotten. */
        assert_int_equal(ledger_mark_root(&l, T0, "@new", LEDGER_MARK_REARM, "fixed /var"), 0);
        assert_int_equal(l.marks[1].boot, 3);
        ledger_root_status(&l, "@new", &s);
        assert_false(s.bad);
        assert_false(s.good);
        assert_int_equal(s.failures, 0);
        assert_int_equal(s.boots, 0);
        assert_int_equal(s.last->seq, 3);
        add_boot(&l, "@new", LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_FAILED);
        assert_int_equal(ledger_root_failures(&l, "@new"), 1);

        /* Marked good by hand. */
        assert_int_equal(ledger_mark_root(&l, T0, "@new", LEDGER_MARK_GOOD, NULL), 0);
        assert_true(ledger_root_was_good(&l, "@new"));
        assert_int_equal(ledger_root_failures(&l, "@new"), 0);

        /* Marked bad: stays bad even when it later boots fine. */
        assert_int_equal(ledger_mark_root(&l, T0, "@new", LEDGER_MARK_BAD, NULL), 0);
        add_boot(&l, "@new", LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD);
        ledger_root_status(&l, "@new", &s);
        assert_true(s.bad);

        assert_int_equal(ledger_mark_root(&l, T0, "", LEDGER_MARK_BAD, NULL), -EINVAL);
        assert_int_equal(ledger_mark_root(&l, T0, "@x", _LEDGER_MARK_MAX, NULL), -EINVAL);

        /* Saving keeps only the newest mark of a root, and the state with it. */
        assert_int_equal(ledger_mark_root(&l, T0, "@other", LEDGER_MARK_REARM, NULL), 0);
        assert_int_equal(l.n_marks, 5);
        assert_int_equal(ledger_save(&l, path), 0);
        assert_int_equal(l.n_marks, 2);
        assert_string_equal(l.marks[0].root, "@new");
        assert_int_equal(l.marks[0].action, LEDGER_MARK_BAD);
        struct ledger m;
        ledger_init(&m);
        assert_int_equal(ledger_load(&m, path), 0);
        ledger_root_status(&m, "@new", &s);
        assert_true(s.bad);
        ledger_free(&m);
        ledger_free(&l);
}

static void test_alerts(void **state) {
        struct ledger l;
        uint64_t seq;

        ledger_init(&l);
        assert_null(ledger_next_unacked(&l, NULL));
        assert_int_equal(ledger_add_alert(&l, T0, "fallback", "a failed", &seq), 1);
        assert_int_equal(seq, 1);
        assert_int_equal(ledger_add_alert(&l, T0, "fallback", "b failed", &seq), 1);
        assert_int_equal(seq, 2);
        /* The same alert while unacknowledged: not added twice. */
        assert_int_equal(ledger_add_alert(&l, T0 + 9, "fallback", "a failed", &seq), 0);
        assert_int_equal(seq, 1);
        assert_int_equal(ledger_add_alert(&l, T0, "disk", "a failed", &seq), 1);
        assert_int_equal(seq, 3);
        assert_int_equal(ledger_count_unacked(&l), 3);
        assert_int_equal(ledger_add_alert(&l, T0, "", "x", &seq), -EINVAL);

        assert_int_equal(ledger_ack_alerts(&l, 2), 1);
        assert_int_equal(ledger_ack_alerts(&l, 2), 0);
        assert_int_equal(ledger_ack_alerts(&l, 42), -ENOENT);
        assert_int_equal(ledger_count_unacked(&l), 2);
        const struct ledger_alert *a = ledger_next_unacked(&l, NULL);
        assert_non_null(a);
        assert_int_equal(a->seq, 1);
        a = ledger_next_unacked(&l, a);
        assert_non_null(a);
        assert_int_equal(a->seq, 3);
        assert_null(ledger_next_unacked(&l, a));

        assert_int_equal(ledger_ack_alerts(&l, 0), 2);
        assert_int_equal(ledger_count_unacked(&l), 0);
        /* Acknowledged, the same alert may come again as a new one. */
        assert_int_equal(ledger_add_alert(&l, T0, "fallback", "a failed", &seq), 1);
        assert_int_equal(seq, 4);

        /* Kept across a save. */
        assert_int_equal(ledger_save(&l, path), 0);
        struct ledger m;
        ledger_init(&m);
        assert_int_equal(ledger_load(&m, path), 0);
        assert_int_equal(m.n_alerts, 4);
        assert_int_equal(ledger_count_unacked(&m), 1);
        assert_true(m.alerts[1].acked);

        /* Trimmed hard, the newest alert stays even though it is acknowledged, so numbers are
         * never given twice. */
        assert_int_equal(ledger_ack_alerts(&m, 4), 1);
        assert_int_equal(ledger_add_alert(&m, T0, "x", "unacked", &seq), 1);
        assert_int_equal(seq, 5);
        assert_int_equal(ledger_ack_alerts(&m, 5), 1);
        assert_int_equal(ledger_add_alert(&m, T0, "x", "older, unacked", NULL), 1);
        assert_int_equal(ledger_ack_alerts(&m, 6), 1);
        m.alerts[4].acked = false; /* 5 unacknowledged again, 6 acknowledged and newest */
        m.max_alerts = 0;
        ledger_trim(&m);
        assert_int_equal(m.n_alerts, 1);
        assert_int_equal(m.alerts[0].seq, 6);
        assert_int_equal(ledger_add_alert(&m, T0, "x", "next", &seq), 1);
        assert_int_equal(seq, 7);
        ledger_free(&m);
        ledger_free(&l);
}

static void test_bounded(void **state) {
        struct ledger l, m;
        uint64_t seq;

        ledger_init(&l);
        ledger_init(&m);
        /* Early on, a new root failed three times; then a long time on the old one. */
        add_boot(&l, "@cur", LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD);
        for (int i = 0; i < 3; i++) {
                add_boot(&l, "@new", LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_FAILED);
                add_boot(&l, "@new", LEDGER_STAGE_STARTED, LEDGER_OUTCOME_ABANDONED);
        }
        add_boot(&l, "@old", LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD);
        add_boot(&l, "@old", LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_FAILED);
        for (int i = 0; i < 300; i++)
                add_boot(&l, "@cur", LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD);
        add_boot(&l, "@cur", LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_IN_PROGRESS);
        assert_int_equal(l.n_boots, 310);
        for (int i = 0; i < 70; i++) {
                char msg[32];
                snprintf(msg, sizeof msg, "alert %d", i);
                assert_int_equal(ledger_add_alert(&l, T0, "test", msg, NULL), 1);
                if (i % 2 == 0 && i < 60)
                        assert_int_equal(ledger_ack_alerts(&l, (uint64_t)i + 1), 1);
        }

        assert_int_equal(ledger_save(&l, path), 0);
        assert_int_equal(l.n_boots, LEDGER_MAX_BOOTS_DEFAULT);
        assert_int_equal(l.n_alerts, LEDGER_MAX_ALERTS_DEFAULT);
        assert_int_equal(ledger_load(&m, path), 0);
        assert_same_ledger(&l, &m);

        /* The newest boots are there, the numbering goes on. */
        assert_int_equal(ledger_current(&m)->seq, 310);
        assert_int_equal(ledger_current(&m)->outcome, LEDGER_OUTCOME_IN_PROGRESS);
        assert_int_equal(ledger_close_stale(&m), 1);
        assert_int_equal(ledger_append_boot(&m, T0, NULL, "@cur", NULL, NULL, &seq), 0);
        assert_int_equal(seq, 311);
        /* What decides the roots survived: @new still failed 3 times, never good; @old's good
         * boot and the failure after it are there. */
        assert_int_equal(ledger_root_failures(&m, "@new"), 3);
        assert_false(ledger_root_was_good(&m, "@new"));
        assert_true(ledger_root_was_good(&m, "@old"));
        assert_int_equal(ledger_root_failures(&m, "@old"), 1);
        assert_int_equal(ledger_last_boot_of(&m, "@new")->seq, 7);
        /* The unprotected went first, oldest first: @new's older abandoned attempts, the first
         * good boot of @cur and the oldest of its later good boots. */
        static const uint64_t kept_head[] = { 2, 4, 6, 7, 8, 9, 117, 118 };
        for (size_t i = 0; i < ELEMENTSOF(kept_head); i++)
                assert_int_equal(m.boots[i].seq, kept_head[i]);

        /* Alerts: the oldest acknowledged ones went first; all 40 never acknowledged are kept. */
        assert_int_equal(ledger_count_unacked(&m), 40);
        assert_int_equal(m.alerts[m.n_alerts - 1].seq, 70);
        size_t acked = 0;
        LEDGER_FOREACH_ALERT(a, &m)
                acked += a->acked;
        assert_int_equal(acked, 10);
        assert_int_equal(m.alerts[0].seq, 2);
        assert_false(m.alerts[0].acked);
        LEDGER_FOREACH_ALERT(a, &m)
                if (a->acked)
                        assert_true(a->seq >= 41);

        /* Smaller limits; more unacknowledged alerts than fit: the oldest go. */
        m.max_boots = 5;
        m.max_alerts = 3;
        ledger_trim(&m);
        assert_int_equal(m.n_boots, 5);
        assert_int_equal(m.n_alerts, 3);
        assert_int_equal(ledger_count_unacked(&m), 3);
        assert_int_equal(m.alerts[0].seq, 68);
        assert_int_equal(ledger_current(&m)->seq, 311);
        /* With room for only 5 the protected ones compete too (310 is a failure now that it
         * was closed): the oldest of them give way. */
        static const uint64_t kept[] = { 8, 9, 309, 310, 311 };
        for (size_t i = 0; i < ELEMENTSOF(kept); i++)
                assert_int_equal(m.boots[i].seq, kept[i]);
        assert_int_equal(ledger_root_failures(&m, "@new"), 0);
        assert_int_equal(ledger_root_failures(&m, "@old"), 1);
        assert_int_equal(ledger_root_failures(&m, "@cur"), 1);

        m.max_boots = 0;
        ledger_trim(&m);
        assert_int_equal(m.n_boots, 1);
        assert_int_equal(ledger_current(&m)->seq, 311);

        ledger_free(&l);
        ledger_free(&m);
}

/* A limit of 0 counts as 1 for every kind, as ledger.h says (marks kept none). */
static void test_trim_limits_zero(void **state) {
        struct ledger l;
        ledger_init(&l);
        add_boot(&l, "@old", LEDGER_STAGE_GOOD, LEDGER_OUTCOME_GOOD);
        add_boot(&l, "@new", LEDGER_STAGE_SWITCHED, LEDGER_OUTCOME_IN_PROGRESS);
        assert_int_equal(ledger_mark_root(&l, T0, "@old", LEDGER_MARK_BAD, NULL), 0);
        assert_int_equal(ledger_mark_root(&l, T0, "@new", LEDGER_MARK_REARM, NULL), 0);
        assert_int_equal(ledger_add_alert(&l, T0, "test", "one", NULL), 1);
        assert_int_equal(ledger_add_alert(&l, T0, "test", "two", NULL), 1);
        l.max_boots = l.max_marks = l.max_alerts = 0;
        ledger_trim(&l);
        assert_int_equal(l.n_boots, 1);
        assert_string_equal(l.boots[0].root, "@new");
        assert_int_equal(l.n_marks, 1);
        assert_string_equal(l.marks[0].root, "@new");
        assert_int_equal(l.n_alerts, 1);
        assert_string_equal(l.alerts[0].message, "two");
        ledger_free(&l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_notes_cut),
                cmocka_unit_test(test_missing_and_empty),
                cmocka_unit_test(test_empty_walks),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_oversized_file),
                cmocka_unit_test(test_future_version),
                cmocka_unit_test(test_out_of_order),
                cmocka_unit_test(test_close_stale),
                cmocka_unit_test(test_stages),
                cmocka_unit_test(test_failures),
                cmocka_unit_test(test_marks),
                cmocka_unit_test(test_alerts),
                cmocka_unit_test(test_bounded),
                cmocka_unit_test(test_trim_limits_zero),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
