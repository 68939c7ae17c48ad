/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* minisign's files, read and written with libsodium: Ed25519 over the BLAKE2b-512 of the file
 * (the prehashed "ED" form, the only one accepted), and a global signature over the signature
 * and the trusted comment, so the comment cannot be swapped. */
#define MINISIGN_ID_BYTES 8
#define MINISIGN_ID_HEX (2 * MINISIGN_ID_BYTES + 1)
#define MINISIGN_COMMENT_MAX 1024

struct minisign_pubkey {
        uint8_t id[MINISIGN_ID_BYTES];
        uint8_t pk[32];
};

/* Holds a secret: wipe it with secure_wipe() once used. */
struct minisign_seckey {
        uint8_t id[MINISIGN_ID_BYTES];
        uint8_t sk[64];
};

struct minisign_sig {
        uint8_t id[MINISIGN_ID_BYTES];
        uint8_t sig[64];
        char trusted_comment[MINISIGN_COMMENT_MAX];
        uint8_t global_sig[64];
};

/* The key id as minisign prints it: the 8 bytes as a little-endian number, 16 upper-case hex
 * digits. */
void minisign_id_hex(const uint8_t id[MINISIGN_ID_BYTES], char hex[MINISIGN_ID_HEX]);

/* A public key file ("untrusted comment: ..." then the base64 line). 0, or -EBADMSG when the
 * text is not one, -EPROTONOSUPPORT for another algorithm than Ed25519. */
int minisign_pubkey_parse(const char *text, struct minisign_pubkey *ret);
/* A signature file (four lines). 0, -EBADMSG when the text is not one, -EPROTONOSUPPORT for
 * the legacy form that signs the file itself instead of its BLAKE2b hash. */
int minisign_sig_parse(const char *text, struct minisign_sig *ret);
/* Checks s over data with k. 0, -ENOKEY when s was made by another key than k, -EKEYREJECTED
 * when the signature or the global signature does not verify, -ENOMEM. */
int minisign_verify(const struct minisign_pubkey *k, const struct minisign_sig *s, const void *data,
                    size_t len);

/* Every "*.pub" file of dir that parses, in *ret (free it); files that do not parse are
 * skipped. 0 (also with no key: *ret_n is 0), or the negative errno of opening dir. */
int minisign_keys_load(const char *dir, struct minisign_pubkey **ret, size_t *ret_n);
/* The key of keys with id, or NULL. */
const struct minisign_pubkey *minisign_key_find(const struct minisign_pubkey *keys, size_t n,
                                                const uint8_t id[MINISIGN_ID_BYTES]);

/* A new key pair with a random id. 0 or -ENOMEM (libsodium could not start). */
int minisign_keygen(struct minisign_pubkey *pub, struct minisign_seckey *sec);
/* The public key file's text (free it). 0 or -ENOMEM. */
int minisign_pubkey_format(const struct minisign_pubkey *k, char **ret);
/* The secret key file's text, unencrypted (minisign -W's form; keep it 0600). 0 or -ENOMEM. */
int minisign_seckey_format(const struct minisign_seckey *k, char **ret);
/* An unencrypted secret key file. 0, -EBADMSG when the text is not one or its checksum is
 * wrong, -EOPNOTSUPP for a password-protected key. */
int minisign_seckey_parse(const char *text, struct minisign_seckey *ret);
/* The signature file of data (free it), the trusted comment signed too (no newline in it).
 * 0, -EINVAL for a comment with a newline or too long, -ENOMEM. */
int minisign_sign(const struct minisign_seckey *k, const void *data, size_t len, const char *trusted_comment,
                  char **ret);
