/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

#include "tpm2token.h"

/* The disk key in the TPM: a LUKS2 token of systemd's systemd-tpm2 type, made and removed by
 * systemd-cryptenroll (so our tools and systemd's read each other's), read back through
 * libcryptsetup (luks.h). Sealed to PCR 7 by default: the Secure Boot state and its keys, which
 * stay the same when a kernel, an initramfs or a root changes, so the seal holds for every root
 * kept for rollback. */

#define TPM2_PCRS_DEFAULT "7"

struct tpm2_enroll {
        const char *device; /* the LUKS2 volume (a block device or an image file) */
        const char *tpm2_device; /* systemd-cryptenroll's --tpm2-device=, NULL: auto */
        const char *pcrs; /* "7", "0+7", "" (none); NULL: TPM2_PCRS_DEFAULT */
        bool pin; /* the TPM also asks for a PIN */
};

/* Adds the token (systemd-cryptenroll asks for a passphrase of the volume on the terminal, or
 * takes $PASSWORD, and for the PIN). 0; -ENOENT when systemd-cryptenroll is missing; -EIO when
 * it failed (it said why on the terminal). */
int tpm2_enroll(const struct tpm2_enroll *e);
/* Adds a recovery key keyslot; systemd-cryptenroll prints the key once on the terminal. Same
 * returns. */
int tpm2_add_recovery_key(const char *device);
/* Removes every systemd-tpm2 token and its keyslot. Same returns. */
int tpm2_remove(const char *device);
/* The volume's token: 0 with *ret_token and *ret; -ENOENT when it has none; the negative errno
 * of reading the header (-EINVAL: not LUKS). */
int tpm2_read(const char *device, int *ret_token, struct tpm2_token *ret);
