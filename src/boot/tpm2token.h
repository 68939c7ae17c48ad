/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

/* A LUKS2 token of systemd's "systemd-tpm2" type, as systemd-cryptenroll writes it (so our
 * tools and systemd's read each other's):
 *   {"type":"systemd-tpm2","keyslots":["1"],"tpm2-blob":"...","tpm2-pcrs":[7],
 *    "tpm2-pcr-bank":"sha256","tpm2-policy-hash":"...","tpm2-pin":false, ...}
 * Only what the boot and the admin need is read; the rest is the token plugin's. Pure. */

struct tpm2_token {
        int keyslot; /* the keyslot the TPM-sealed key opens, -1 when none is named */
        unsigned pcr_mask; /* bit N: sealed to PCR N (0-31) */
        bool pin; /* the TPM also wants a PIN */
};

/* Parses a token's JSON. 0 for a systemd-tpm2 token; -ENOENT for a token of another type;
 * -EBADMSG when it is not a JSON object, has no "type", or a known key holds the wrong kind of
 * value. *ret written only on success. */
int tpm2_token_parse(const char *json, struct tpm2_token *ret);
