/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* loader/loader.conf on the ESP, rewritten by `koompi-boot entries sync`: what it writes it
 * leaves as it is the next time. */
#include "entryplan.h"
#include "fuzzer.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *old = fuzz_string(data, size), *once = NULL, *twice = NULL;

        if (plan_loader_conf(old, &once) < 0)
                return 0;
        FUZZ_CHECK(plan_loader_conf(once, &twice) == 0);
        FUZZ_CHECK(streq(once, twice));
        return 0;
}
