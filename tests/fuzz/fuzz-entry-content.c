/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The contents of an entry file on the ESP, read by koompi-boot and rewritten by `entries
 * sync`: what is written reads back as the same entry, and format(parse(x)) is what parsing
 * and formatting it again gives. */
#include <errno.h>

#include "entry.h"
#include "fuzzer.h"
#include "strv.h"
#include "util.h"

/* Absent and empty are the same: empty values are not written. */
static bool value_equal(const char *a, const char *b) {
        return streq(a ? a : "", b ? b : "");
}

static void check_same_entry(const struct entry_content *a, const struct entry_content *b) {
        FUZZ_CHECK(value_equal(a->title, b->title) && value_equal(a->version, b->version));
        FUZZ_CHECK(value_equal(a->sort_key, b->sort_key) && value_equal(a->kernel, b->kernel));
        FUZZ_CHECK(value_equal(a->initrd, b->initrd) && value_equal(a->options, b->options));
        FUZZ_CHECK(strv_length(a->extra) == strv_length(b->extra));
        for (size_t i = 0; a->extra && a->extra[i]; i++)
                FUZZ_CHECK(streq(a->extra[i], b->extra[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_string(data, size), *once = NULL, *twice = NULL;
        struct entry_content c, again;

        if (entry_content_parse(text, &c) < 0)
                return 0;
        int r = entry_content_format(&c, &once);
        if (r < 0) {
                entry_content_free(&c);
                return 0;
        }
        FUZZ_CHECK(entry_content_parse(once, &again) == 0);
        check_same_entry(&c, &again);
        FUZZ_CHECK(entry_content_format(&again, &twice) == 0);
        entry_content_free(&c);
        entry_content_free(&again);
        FUZZ_CHECK(streq(once, twice));
        return 0;
}
