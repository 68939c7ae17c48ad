/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot ledger in @var, read by koompi-init on every boot and by koompi-boot: whatever the
 * file holds, it reads, and what is saved reads back as the same ledger. Then what koompi-init
 * does with it: close the stale boots, append one, trim, and ask about each root. */
#include "fuzzer.h"
#include "ledger.h"
#include "util.h"

static char *format_of(const struct ledger *l, size_t *ret_len) {
        char *text = NULL;
        FUZZ_CHECK(ledger_format(l, &text, ret_len) == 0);
        return text;
}

/* format(parse(text)) is a fixed point. */
static void check_round_trip(const struct ledger *l) {
        size_t len1, len2;
        _cleanup_free_ char *once = format_of(l, &len1), *twice = NULL;
        struct ledger again;

        ledger_init(&again);
        FUZZ_CHECK(ledger_parse(&again, once, len1) == 0);
        FUZZ_CHECK(again.recovered == 0 && again.ignored == 0);
        twice = format_of(&again, &len2);
        FUZZ_CHECK(len1 == len2 && memcmp(once, twice, len1) == 0);
        ledger_free(&again);
}

static void ask_about_roots(const struct ledger *l) {
        struct ledger_root_status st;
        LEDGER_FOREACH_BOOT(b, l) {
                ledger_root_status(l, b->root, &st);
                FUZZ_CHECK(st.last != NULL);
        }
        for (const struct ledger_alert *a = ledger_next_unacked(l, NULL); a; a = ledger_next_unacked(l, a))
                FUZZ_CHECK(!a->acked);
}

/* Limits from 0 (counts as 1) up; the newest boot and some mark and alert always stay. */
static void trim(struct ledger *l, size_t size) {
        uint64_t newest = l->n_boots ? l->boots[l->n_boots - 1].seq : 0;
        bool marks = l->n_marks > 0, alerts = l->n_alerts > 0;

        l->max_boots = size % 7;
        l->max_marks = size % 5;
        l->max_alerts = size % 3;
        ledger_trim(l);
        FUZZ_CHECK(newest == (l->n_boots ? l->boots[l->n_boots - 1].seq : 0));
        FUZZ_CHECK(marks == (l->n_marks > 0));
        FUZZ_CHECK(alerts == (l->n_alerts > 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ledger l;

        ledger_init(&l);
        if (ledger_parse(&l, (const char *)data, size) < 0)
                return 0;
        check_round_trip(&l);
        ask_about_roots(&l);
        ledger_close_stale(&l);
        if (ledger_append_boot(&l, 1700000000, "koompi-root-current.conf", "@root-current", NULL, NULL,
                               NULL) == 0) {
                ledger_set_stage(&l, LEDGER_STAGE_SWITCHED, NULL);
                ledger_add_alert(&l, 1700000000, "fallback", "a message", NULL);
        }
        trim(&l, size);
        check_round_trip(&l);
        ledger_free(&l);
        return 0;
}
