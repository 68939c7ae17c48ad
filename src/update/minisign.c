/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The minisign formats (jedisct1's minisign, "ED" signatures), over libsodium only. */
#include "minisign.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>

#include "util.h"

#define SIG_LINE_BYTES (2 + MINISIGN_ID_BYTES + 64)
#define PUB_LINE_BYTES (2 + MINISIGN_ID_BYTES + 32)
/* sig_alg, kdf_alg, chk_alg, kdf salt, opslimit, memlimit, key id, secret key, checksum */
#define SEC_LINE_BYTES (2 + 2 + 2 + 32 + 8 + 8 + MINISIGN_ID_BYTES + 64 + 32)
#define SEC_KEYNUM_AT (2 + 2 + 2 + 32 + 8 + 8)
#define UNTRUSTED "untrusted comment:"
#define TRUSTED "trusted comment: "

static int sodium_ready(void) {
        return sodium_init() < 0 ? -ENOMEM : 0;
}

void minisign_id_hex(const uint8_t id[MINISIGN_ID_BYTES], char hex[MINISIGN_ID_HEX]) {
        uint64_t v = 0;
        for (int i = MINISIGN_ID_BYTES - 1; i >= 0; i--)
                v = v << 8 | id[i];
        snprintf(hex, MINISIGN_ID_HEX, "%016" PRIX64, v);
}

/* The line starting at *p (its length in *ret_len, without "\r\n"); *p moves past it. NULL at
 * the end of the text. */
static const char *next_line(const char **p, size_t *ret_len) {
        const char *start = *p;
        if (!start || !*start)
                return NULL;
        size_t n = strcspn(start, "\n");
        *p = start[n] ? start + n + 1 : start + n;
        *ret_len = n > 0 && start[n - 1] == '\r' ? n - 1 : n;
        return start;
}

/* Exactly want bytes of standard base64 from line. */
static bool decode_line(const char *line, size_t len, uint8_t *out, size_t want) {
        size_t got = 0;
        if (sodium_ready() < 0)
                return false;
        return sodium_base642bin(out, want, line, len, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) ==
                0 &&
                got == want;
}

/* The base64 line of a key file: the one after the untrusted comment, or the only one. */
static bool key_line(const char *text, uint8_t *out, size_t want) {
        const char *p = text, *line;
        size_t len;
        line = next_line(&p, &len);
        if (line && startswith(line, UNTRUSTED))
                line = next_line(&p, &len);
        return line && decode_line(line, len, out, want);
}

int minisign_pubkey_parse(const char *text, struct minisign_pubkey *ret) {
        uint8_t raw[PUB_LINE_BYTES];
        if (!key_line(text, raw, sizeof raw))
                return -EBADMSG;
        if (memcmp(raw, "Ed", 2) != 0)
                return -EPROTONOSUPPORT;
        memcpy(ret->id, raw + 2, MINISIGN_ID_BYTES);
        memcpy(ret->pk, raw + 2 + MINISIGN_ID_BYTES, 32);
        return 0;
}

static int parse_sig_line(const char *line, size_t len, struct minisign_sig *s) {
        uint8_t raw[SIG_LINE_BYTES];
        if (!decode_line(line, len, raw, sizeof raw))
                return -EBADMSG;
        if (memcmp(raw, "Ed", 2) == 0)
                return -EPROTONOSUPPORT;
        if (memcmp(raw, "ED", 2) != 0)
                return -EBADMSG;
        memcpy(s->id, raw + 2, MINISIGN_ID_BYTES);
        memcpy(s->sig, raw + 2 + MINISIGN_ID_BYTES, 64);
        return 0;
}

int minisign_sig_parse(const char *text, struct minisign_sig *ret) {
        struct minisign_sig s = { 0 };
        const char *p = text, *lines[4];
        size_t lens[4];
        for (int i = 0; i < 4; i++)
                if (!(lines[i] = next_line(&p, &lens[i])))
                        return -EBADMSG;
        if (!startswith(lines[0], UNTRUSTED) || !startswith(lines[2], TRUSTED))
                return -EBADMSG;
        int r = parse_sig_line(lines[1], lens[1], &s);
        if (r < 0)
                return r;
        size_t clen = lens[2] - strlen(TRUSTED);
        if (clen >= sizeof s.trusted_comment || !decode_line(lines[3], lens[3], s.global_sig, 64))
                return -EBADMSG;
        memcpy(s.trusted_comment, lines[2] + strlen(TRUSTED), clen);
        *ret = s;
        return 0;
}

/* The signature followed by the trusted comment: what the global signature covers. */
static uint8_t *global_message(const uint8_t sig[64], const char *comment, size_t *ret_len) {
        size_t clen = strlen(comment);
        uint8_t *m = xmalloc(64 + clen);
        memcpy(m, sig, 64);
        memcpy(m + 64, comment, clen);
        *ret_len = 64 + clen;
        return m;
}

int minisign_verify(const struct minisign_pubkey *k, const struct minisign_sig *s, const void *data,
                    size_t len) {
        uint8_t hash[crypto_generichash_BYTES_MAX];
        size_t mlen;
        if (sodium_ready() < 0)
                return -ENOMEM;
        if (memcmp(k->id, s->id, MINISIGN_ID_BYTES) != 0)
                return -ENOKEY;
        crypto_generichash(hash, sizeof hash, data, len, NULL, 0);
        if (crypto_sign_verify_detached(s->sig, hash, sizeof hash, k->pk) != 0)
                return -EKEYREJECTED;
        _cleanup_free_ uint8_t *m = global_message(s->sig, s->trusted_comment, &mlen);
        if (crypto_sign_verify_detached(s->global_sig, m, mlen, k->pk) != 0)
                return -EKEYREJECTED;
        return 0;
}

static void keys_add(struct minisign_pubkey **keys, size_t *n, const struct minisign_pubkey *k) {
        struct minisign_pubkey *grown = realloc(*keys, (*n + 1) * sizeof **keys);
        if (!grown)
                abort();
        grown[(*n)++] = *k;
        *keys = grown;
}

int minisign_keys_load(const char *dir, struct minisign_pubkey **ret, size_t *ret_n) {
        struct minisign_pubkey *keys = NULL, k;
        struct dirent *de;
        char path[4096];
        size_t n = 0;
        DIR *d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *text = NULL;
                if (de->d_name[0] == '.' || !endswith(de->d_name, ".pub"))
                        continue;
                if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path)
                        continue;
                if (read_file(path, &text, NULL) == 0 && minisign_pubkey_parse(text, &k) == 0)
                        keys_add(&keys, &n, &k);
        }
        closedir(d);
        *ret = keys;
        *ret_n = n;
        return 0;
}

const struct minisign_pubkey *minisign_key_find(const struct minisign_pubkey *keys, size_t n,
                                                const uint8_t id[MINISIGN_ID_BYTES]) {
        for (size_t i = 0; i < n; i++)
                if (memcmp(keys[i].id, id, MINISIGN_ID_BYTES) == 0)
                        return &keys[i];
        return NULL;
}

int minisign_keygen(struct minisign_pubkey *pub, struct minisign_seckey *sec) {
        if (sodium_ready() < 0)
                return -ENOMEM;
        crypto_sign_keypair(pub->pk, sec->sk);
        randombytes_buf(pub->id, MINISIGN_ID_BYTES);
        memcpy(sec->id, pub->id, MINISIGN_ID_BYTES);
        return 0;
}

static char *base64(const uint8_t *raw, size_t len) {
        size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = xmalloc(b64len);
        sodium_bin2base64(b64, b64len, raw, len, sodium_base64_VARIANT_ORIGINAL);
        return b64;
}

/* "untrusted comment: COMMENT\nBASE64\n" of raw. */
static int format_file(const char *comment, const uint8_t *raw, size_t len, char **ret) {
        _cleanup_free_ char *b64 = base64(raw, len);
        return asprintf(ret, UNTRUSTED " %s\n%s\n", comment, b64) < 0 ? -ENOMEM : 0;
}

int minisign_pubkey_format(const struct minisign_pubkey *k, char **ret) {
        uint8_t raw[PUB_LINE_BYTES];
        char hex[MINISIGN_ID_HEX], comment[64];
        memcpy(raw, "Ed", 2);
        memcpy(raw + 2, k->id, MINISIGN_ID_BYTES);
        memcpy(raw + 2 + MINISIGN_ID_BYTES, k->pk, 32);
        minisign_id_hex(k->id, hex);
        snprintf(comment, sizeof comment, "minisign public key %s", hex);
        return format_file(comment, raw, sizeof raw, ret);
}

/* minisign's checksum of a secret key: BLAKE2b-256 of the algorithm, the id and the key. */
static void seckey_checksum(const uint8_t *raw, uint8_t chk[32]) {
        crypto_generichash_state st;
        crypto_generichash_init(&st, NULL, 0, 32);
        crypto_generichash_update(&st, raw, 2);
        crypto_generichash_update(&st, raw + SEC_KEYNUM_AT, MINISIGN_ID_BYTES + 64);
        crypto_generichash_final(&st, chk, 32);
}

int minisign_seckey_format(const struct minisign_seckey *k, char **ret) {
        uint8_t raw[SEC_LINE_BYTES] = { 'E', 'd', 0, 0, 'B', '2' };
        if (sodium_ready() < 0)
                return -ENOMEM;
        memcpy(raw + SEC_KEYNUM_AT, k->id, MINISIGN_ID_BYTES);
        memcpy(raw + SEC_KEYNUM_AT + MINISIGN_ID_BYTES, k->sk, 64);
        seckey_checksum(raw, raw + SEC_LINE_BYTES - 32);
        int r = format_file("minisign secret key (unencrypted)", raw, sizeof raw, ret);
        sodium_memzero(raw, sizeof raw);
        return r;
}

static int seckey_from_raw(const uint8_t *raw, struct minisign_seckey *ret) {
        static const uint8_t zero[32];
        uint8_t chk[32];
        if (memcmp(raw, "Ed", 2) != 0 || memcmp(raw + 4, "B2", 2) != 0)
                return -EBADMSG;
        if (raw[2] != 0 || raw[3] != 0)
                return -EOPNOTSUPP;
        seckey_checksum(raw, chk);
        /* minisign -W leaves the checksum of an unencrypted key zero. */
        const uint8_t *stored = raw + SEC_LINE_BYTES - 32;
        if (memcmp(stored, chk, 32) != 0 && memcmp(stored, zero, 32) != 0)
                return -EBADMSG;
        memcpy(ret->id, raw + SEC_KEYNUM_AT, MINISIGN_ID_BYTES);
        memcpy(ret->sk, raw + SEC_KEYNUM_AT + MINISIGN_ID_BYTES, 64);
        return 0;
}

int minisign_seckey_parse(const char *text, struct minisign_seckey *ret) {
        uint8_t raw[SEC_LINE_BYTES];
        if (!key_line(text, raw, sizeof raw))
                return -EBADMSG;
        int r = seckey_from_raw(raw, ret);
        sodium_memzero(raw, sizeof raw);
        return r;
}

int minisign_sign(const struct minisign_seckey *k, const void *data, size_t len, const char *trusted_comment,
                  char **ret) {
        uint8_t hash[crypto_generichash_BYTES_MAX], line[SIG_LINE_BYTES] = { 'E', 'D' }, global[64];
        size_t mlen;
        if (strchr(trusted_comment, '\n') || strlen(trusted_comment) >= MINISIGN_COMMENT_MAX)
                return -EINVAL;
        if (sodium_ready() < 0)
                return -ENOMEM;
        crypto_generichash(hash, sizeof hash, data, len, NULL, 0);
        memcpy(line + 2, k->id, MINISIGN_ID_BYTES);
        crypto_sign_detached(line + 2 + MINISIGN_ID_BYTES, NULL, hash, sizeof hash, k->sk);
        _cleanup_free_ uint8_t *m = global_message(line + 2 + MINISIGN_ID_BYTES, trusted_comment, &mlen);
        crypto_sign_detached(global, NULL, m, mlen, k->sk);
        _cleanup_free_ char *sig64 = base64(line, sizeof line), *global64 = base64(global, sizeof global);
        return asprintf(ret, UNTRUSTED " signature from koompi-release secret key\n%s\n" TRUSTED "%s\n%s\n",
                        sig64, trusted_comment, global64) < 0
                ? -ENOMEM
                : 0;
}
