/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <string.h>

#include "fuzzer.h"
#include "minisign.h"

/* The release key the update targets trust. The signed seeds of corpus/minisign and
 * corpus/fetch-answer were made with its secret key (koompi-release keygen, then koompi-release
 * sign and stock minisign -S, as the host tests sign), which is kept nowhere: the fuzzer can
 * reach a signature that verifies only through those seeds. */
#define FUZZ_RELEASE_PUB                                            \
        "untrusted comment: minisign public key 2A3A53566C2A248E\n" \
        "RWSOJCpsVlM6Kk7FmdNcuIVFMYzwaXWtEmEyHcqWkvM2hZViOgwUYvci\n"

/* 2026-12-06T00:00:00Z, the seeds' "issued" (they expire in 2099). */
#define FUZZ_RELEASE_ISSUED 1796515200

static inline const struct minisign_pubkey *fuzz_release_key(void) {
        static struct minisign_pubkey k;
        static bool parsed;
        if (!parsed)
                FUZZ_CHECK(minisign_pubkey_parse(FUZZ_RELEASE_PUB, &k) == 0);
        parsed = true;
        return &k;
}
