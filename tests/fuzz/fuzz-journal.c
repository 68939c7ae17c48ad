/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The record of a transaction in progress and the pins, beside the ledger in @var: read back
 * by `koompi-boot recover` after a crash. What is written reads back as the same record. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "fuzzer.h"
#include "journal.h"
#include "strv.h"
#include "util.h"

/* The file journal_write() makes of j (its format). */
static char *format_of(const char *dir, const struct journal *j) {
        char path[PATH_MAX];
        char *text = NULL;

        FUZZ_CHECK(journal_write(dir, j) == 0);
        snprintf(path, sizeof path, "%s/%s", dir, JOURNAL_FILE);
        FUZZ_CHECK(read_file(path, &text, NULL) == 0);
        return text;
}

static void check_pins(const char *dir) {
        char **pins = NULL;
        if (pins_read(dir, &pins) < 0)
                return;
        for (char **p = pins; *p; p++)
                FUZZ_CHECK(strlen(*p) == 36);
        strv_free(pins);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[PATH_MAX];
        struct journal j, again;
        const char *dir = fuzz_dir();

        fuzz_file(PINS_FILE, data, size, path);
        check_pins(dir);
        fuzz_file(JOURNAL_FILE, data, size, path);
        int r = journal_read(dir, &j);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG || r == -ENOMEM);
                return 0;
        }
        _cleanup_free_ char *once = format_of(dir, &j), *twice = NULL;
        journal_free(&j);
        FUZZ_CHECK(journal_read(dir, &again) == 0);
        twice = format_of(dir, &again);
        FUZZ_CHECK(streq(once, twice));
        journal_free(&again);
        return 0;
}
