/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel command line: as koompi-init reads /proc/cmdline, and as `koompi-boot entries
 * sync` keeps its words for the entries (which must not change when read back). */
#include "cmdline.h"
#include "entryplan.h"
#include "fuzzer.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *line = fuzz_string(data, size);
        _cleanup_free_ char *opts = NULL, *again = NULL;
        struct boot_cmdline c;

        if (cmdline_parse(line, &c) == 0)
                cmdline_free(&c);
        if (plan_base_options(line, &opts) < 0)
                return 0;
        FUZZ_CHECK(plan_base_options(opts, &again) == 0);
        FUZZ_CHECK(streq(opts, again));
        return 0;
}
