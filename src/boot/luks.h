/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "tpm2token.h"

struct luks_volume;

#define LUKS_TOKEN_TPM2 "systemd-tpm2"

/* Opens the LUKS header on device. -EINVAL when it is not LUKS. */
int luks_open(const char *device, struct luks_volume **ret);
void luks_close(struct luks_volume *v);
/* Keyslots in use, for messages and for "try the remembered slot first". */
int luks_keyslot_count(struct luks_volume *v);
/* Activates as /dev/mapper/name. keyslot < 0 means any. Returns the keyslot that opened it,
 * -EPERM for a wrong passphrase or key, other negative errno on failure. */
int luks_activate_passphrase(struct luks_volume *v, const char *name, int keyslot, const char *pass,
                             size_t len, bool discard);
int luks_activate_keyfile(struct luks_volume *v, const char *name, const char *keyfile, bool discard);
/* The kernel crypto modules the volume's ciphers need, by alias ("crypto-aes",
 * "crypto-xts"), for the data and for the keyslots, each once, as a NUL-separated list ending
 * with an empty string, in ret (size bytes). Loading them before the unlock lets the kernel
 * find every algorithm without asking its module helper. */
void luks_crypto_aliases(struct luks_volume *v, char *ret, size_t size);
/* The same, from a cipher ("aes") and a mode ("xts-plain64", "cbc-essiv:sha256"), appended
 * to the list in ret (used bytes in *used). Pure. */
void luks_crypto_aliases_of(const char *cipher, const char *mode, char *ret, size_t size, size_t *used);
/* Memory for secrets: locked, wiped on free. */
char *luks_secret_alloc(size_t size);
void luks_secret_free(char *p);
/* Makes keyslot the one libcryptsetup tries first next time (LUKS2 priority "prefer"), so a
 * known key costs one key derivation, not one per keyslot. Writes the header only when the
 * preference changes. 1 when it changed, 0 when it already was, negative errno. */
int luks_prefer_keyslot(struct luks_volume *v, int keyslot);
/* The volume's first systemd-tpm2 token: its number and what it says. 0; -ENOENT when it has
 * none (or is not LUKS2). */
int luks_tpm2_token(struct luks_volume *v, int *ret_token, struct tpm2_token *ret);
/* Activates as /dev/mapper/name through that token: libcryptsetup loads the systemd-tpm2
 * plugin, which asks the TPM to unseal the key (pin, len: the TPM PIN, NULL when none). No key
 * is derived from a passphrase. Returns the keyslot that opened it; -ENOANO when a PIN is
 * needed, -EPERM (or another negative errno) when the TPM refused or the plugin is missing. */
int luks_activate_token(struct luks_volume *v, const char *name, int token, const char *pin, size_t len,
                        bool discard);
