/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a technician (or a student) types at the recovery menu of koompi-init: one line, cut at
 * the menu's input buffer, then the root it names among some roots. */
#include <errno.h>
#include <string.h>

#include "fuzzer.h"
#include "recovery.h"
#include "util.h"

#define INPUT_MAX 1024 /* the menu's line buffer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const roots[] = { "@root-current", "@root-2024-12-01", "@root-term1", "@home" };
        _cleanup_free_ char *line = fuzz_string(data, size < INPUT_MAX ? size : INPUT_MAX - 1);
        struct recovery_command c;

        int r = recovery_parse(line, &c);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL || r == -E2BIG || r == -EBADMSG || r == -ENAMETOOLONG);
                return 0;
        }
        FUZZ_CHECK(c.item < _RECOVERY_ITEM_MAX && recovery_item_to_string(c.item));
        FUZZ_CHECK(strlen(c.arg) <= RECOVERY_NAME_MAX);
        FUZZ_CHECK(!*c.arg || recovery_item_takes_root(c.item));
        FUZZ_CHECK(!strchr(c.arg, '/') && !streq(c.arg, ".") && !streq(c.arg, ".."));
        int i = recovery_match_root(roots, ELEMENTSOF(roots), c.arg);
        FUZZ_CHECK(i == -ENOENT || (i >= 0 && (size_t)i < ELEMENTSOF(roots)));
        return 0;
}
