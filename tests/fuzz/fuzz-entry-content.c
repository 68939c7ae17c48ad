/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The contents of an entry file on the ESP, read by koompi-boot and rewritten by `entries
 * sync`: format(parse(x)) must be what parsing and formatting it again gives. */
#include <errno.h>

#include "entry.h"
#include "fuzzer.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_string(data, size), *once = NULL, *twice = NULL;
        struct entry_content c, again;

        if (entry_content_parse(text, &c) < 0)
                return 0;
        int r = entry_content_format(&c, &once);
        entry_content_free(&c);
        if (r < 0)
                return 0;
        FUZZ_CHECK(entry_content_parse(once, &again) == 0);
        FUZZ_CHECK(entry_content_format(&again, &twice) == 0);
        entry_content_free(&again);
        FUZZ_CHECK(streq(once, twice));
        return 0;
}
