/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The answer of the update check's child, which read the network without root, as the agent
 * judges it again: garbage, the child's own error (its errno only taken when it is one), or a
 * manifest and its signature, accepted only when the release key signed it and it is of this
 * machine's channel, newer than the last accepted and not expired. */
#include <errno.h>

#include "fetchanswer.h"
#include "fuzzer.h"
#include "releasekey.h"
#include "util.h"

#define LAST_SERIAL 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_string(data, size);
        const struct update_trust t = { .channel = "stable",
                                        .keys = fuzz_release_key(),
                                        .n_keys = 1,
                                        .last = { .serial = LAST_SERIAL,
                                                  .issued = FUZZ_RELEASE_ISSUED - 86400 },
                                        .now = FUZZ_RELEASE_ISSUED + 3600 };
        struct update_refusal why = { 0 };
        struct fetch_answer a;
        int r = fetch_answer_judge(&t, text, &a, &why);
        if (r == -ENODATA)
                return 0;
        if (r < 0) {
                FUZZ_CHECK(r >= -4095 && why.error == r);
                return 0;
        }
        FUZZ_CHECK(streq(a.manifest.channel, "stable") && a.manifest.serial > LAST_SERIAL);
        FUZZ_CHECK(a.manifest.expires > t.now && strlen(a.sha256) == 64);
        fetch_answer_free(&a);
        return 0;
}
