/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only file that talks to libcryptsetup. */
#include "luks.h"

#include <errno.h>
#include <libcryptsetup.h>
#include <stdlib.h>

#include "log.h"
#include "util.h"

/* LUKS2 holds at most this many tokens. */
#define LUKS_TOKENS_MAX 32

struct luks_volume {
        struct crypt_device *cd;
};

static void crypt_log_cb(int level, const char *msg, void *usrptr) {
        char line[512];
        snprintf(line, sizeof line, "%s", msg);
        line[strcspn(line, "\n")] = 0;
        log_msg(level == CRYPT_LOG_ERROR ? LOG_LVL_WARNING : LOG_LVL_DEBUG, "cryptsetup: %s", line);
}

int luks_open(const char *device, struct luks_volume **ret) {
        struct crypt_device *cd = NULL;
        crypt_set_log_callback(NULL, crypt_log_cb, NULL);
        if (log_get_max_level() >= LOG_LVL_DEBUG)
                crypt_set_debug_level(CRYPT_DEBUG_ALL);
        int r = crypt_init(&cd, device);
        if (r < 0)
                return r;
        r = crypt_load(cd, CRYPT_LUKS, NULL);
        if (r < 0) {
                crypt_free(cd);
                return r;
        }
        struct luks_volume *v = calloc(1, sizeof *v);
        if (!v) {
                crypt_free(cd);
                return -ENOMEM;
        }
        v->cd = cd;
        *ret = v;
        return 0;
}

void luks_close(struct luks_volume *v) {
        if (!v)
                return;
        crypt_free(v->cd);
        free(v);
}

int luks_keyslot_count(struct luks_volume *v) {
        int n = 0, max = crypt_keyslot_max(crypt_get_type(v->cd));
        for (int i = 0; i < max; i++) {
                crypt_keyslot_info ki = crypt_keyslot_status(v->cd, i);
                if (ki == CRYPT_SLOT_ACTIVE || ki == CRYPT_SLOT_ACTIVE_LAST)
                        n++;
        }
        return n;
}

static uint32_t activate_flags(bool discard) {
        return discard ? CRYPT_ACTIVATE_ALLOW_DISCARDS : 0;
}

int luks_activate_passphrase(struct luks_volume *v, const char *name, int keyslot, const char *pass,
                             size_t len, bool discard) {
        return crypt_activate_by_passphrase(v->cd, name, keyslot < 0 ? CRYPT_ANY_SLOT : keyslot, pass, len,
                                            activate_flags(discard));
}

int luks_activate_keyfile(struct luks_volume *v, const char *name, const char *keyfile, bool discard) {
        return crypt_activate_by_keyfile_device_offset(v->cd, name, CRYPT_ANY_SLOT, keyfile, 0, 0,
                                                       activate_flags(discard));
}

static void alias_add(const char *name, size_t len, char *ret, size_t size, size_t *used) {
        char a[64];
        if (len == 0 || len >= sizeof a - 8)
                return;
        snprintf(a, sizeof a, "crypto-%.*s", (int)len, name);
        for (const char *p = ret; p < ret + *used && *p; p += strlen(p) + 1)
                if (streq(p, a))
                        return;
        size_t n = strlen(a) + 1;
        if (*used + n + 1 > size)
                return;
        memcpy(ret + *used, a, n);
        *used += n;
        ret[*used] = 0;
}

void luks_crypto_aliases_of(const char *cipher, const char *mode, char *ret, size_t size, size_t *used) {
        if (size == 0)
                return;
        ret[*used] = 0;
        if (cipher)
                alias_add(cipher, strcspn(cipher, ":"), ret, size, used);
        if (!mode)
                return;
        /* "xts-plain64": the chaining mode, then the IV generator, which may name a hash
         * ("essiv:sha256"); plain, plain64, benbi and null are dm-crypt's own. */
        size_t chain = strcspn(mode, "-");
        alias_add(mode, chain, ret, size, used);
        /* xts and lrw are built on ecb of the cipher, the kernel's generic AES included (a
         * processor without AES-NI). */
        if ((chain == 3 && strncmp(mode, "xts", 3) == 0) || (chain == 3 && strncmp(mode, "lrw", 3) == 0))
                alias_add("ecb", 3, ret, size, used);
        const char *iv = mode[chain] ? mode + chain + 1 : NULL;
        if (!iv)
                return;
        size_t ivlen = strcspn(iv, ":");
        if (ivlen == 5 && strncmp(iv, "essiv", 5) == 0)
                alias_add(iv, ivlen, ret, size, used);
        if (iv[ivlen] == ':')
                alias_add(iv + ivlen + 1, strlen(iv + ivlen + 1), ret, size, used);
}

void luks_crypto_aliases(struct luks_volume *v, char *ret, size_t size) {
        size_t used = 0;
        if (size == 0)
                return;
        ret[0] = 0;
        luks_crypto_aliases_of(crypt_get_cipher(v->cd), crypt_get_cipher_mode(v->cd), ret, size, &used);
        /* LUKS2 keyslots carry their own encryption, "aes-xts-plain64". */
        size_t key_size = 0;
        const char *ks = crypt_keyslot_get_encryption(v->cd, CRYPT_ANY_SLOT, &key_size);
        if (!ks)
                return;
        char cipher[32];
        size_t n = strcspn(ks, "-");
        if (n >= sizeof cipher)
                return;
        snprintf(cipher, sizeof cipher, "%.*s", (int)n, ks);
        luks_crypto_aliases_of(cipher, ks[n] ? ks + n + 1 : NULL, ret, size, &used);
}

char *luks_secret_alloc(size_t size) {
        return crypt_safe_alloc(size);
}
void luks_secret_free(char *p) {
        crypt_safe_free(p);
}

int luks_prefer_keyslot(struct luks_volume *v, int keyslot) {
        if (!streq_ptr(crypt_get_type(v->cd), CRYPT_LUKS2))
                return 0;
        if (crypt_keyslot_get_priority(v->cd, keyslot) == CRYPT_SLOT_PRIORITY_PREFER)
                return 0;
        int max = crypt_keyslot_max(CRYPT_LUKS2);
        for (int i = 0; i < max; i++)
                if (i != keyslot && crypt_keyslot_get_priority(v->cd, i) == CRYPT_SLOT_PRIORITY_PREFER) {
                        int r = crypt_keyslot_set_priority(v->cd, i, CRYPT_SLOT_PRIORITY_NORMAL);
                        if (r < 0)
                                return r;
                }
        int r = crypt_keyslot_set_priority(v->cd, keyslot, CRYPT_SLOT_PRIORITY_PREFER);
        return r < 0 ? r : 1;
}

int luks_tpm2_token(struct luks_volume *v, int *ret_token, struct tpm2_token *ret) {
        if (!streq_ptr(crypt_get_type(v->cd), CRYPT_LUKS2))
                return -ENOENT;
        for (int t = 0; t < LUKS_TOKENS_MAX; t++) {
                const char *json = NULL;
                struct tpm2_token tok;
                if (crypt_token_json_get(v->cd, t, &json) < 0 || tpm2_token_parse(json, &tok) < 0)
                        continue;
                *ret_token = t;
                *ret = tok;
                return 0;
        }
        return -ENOENT;
}

int luks_activate_token(struct luks_volume *v, const char *name, int token, const char *pin, size_t len,
                        bool discard) {
        return crypt_activate_by_token_pin(v->cd, name, LUKS_TOKEN_TPM2, token, pin, len, NULL,
                                           activate_flags(discard));
}
