/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "verify.h"

#include <errno.h>
#include <inttypes.h>

#include "sha256.h"
#include "util.h"

#ifndef KOOMPI_BUILD_TIME
#define KOOMPI_BUILD_TIME 0
#endif

int64_t update_build_time(void) {
        return KOOMPI_BUILD_TIME;
}

int64_t update_trusted_now(const struct update_trust *t) {
        int64_t n = t->now;
        if (t->last.serial > 0 && t->last.issued > n)
                n = t->last.issued;
        return t->build_time > n ? t->build_time : n;
}

static int check_signature(const struct update_trust *t, const char *manifest, size_t len,
                           const char *signature, struct update_refusal *why) {
        struct minisign_sig sig;
        char id[MINISIGN_ID_HEX];
        if (!signature)
                return update_refuse(why, -ENOENT, "no signature: manifest.json.minisig is missing");
        int r = minisign_sig_parse(signature, &sig);
        if (r < 0)
                return update_refuse(why, -EKEYREJECTED, "bad signature: manifest.json.minisig is not %s",
                                     r == -EPROTONOSUPPORT ? "a prehashed (ED) minisign signature"
                                                           : "a minisign signature");
        minisign_id_hex(sig.id, id);
        const struct minisign_pubkey *k = minisign_key_find(t->keys, t->n_keys, sig.id);
        if (!k)
                return update_refuse(
                        why, -ENOKEY,
                        "unknown key: the manifest is signed by key %s, which is not trusted here", id);
        r = minisign_verify(k, &sig, manifest, len);
        if (r == -ENOMEM)
                return update_refuse(why, r, "the signature could not be checked: out of memory");
        if (r < 0)
                return update_refuse(
                        why, -EKEYREJECTED,
                        "bad signature: the manifest or its signature was changed after key %s signed it",
                        id);
        return 0;
}

void update_manifest_sha256(const char *manifest, size_t len, char hex[65]) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256(manifest, len, digest);
        sha256_to_hex(digest, hex);
}

/* The manifest accepted last time, fetched again: no replay. */
static bool seen_before(const struct update_trust *t, const struct manifest *m, const char *text,
                        size_t len) {
        char hex[SHA256_HEX_SIZE];
        if (m->serial != t->last.serial)
                return false;
        update_manifest_sha256(text, len, hex);
        return streq(hex, t->last.sha256);
}

static int check_terms(const struct update_trust *t, const struct manifest *m, const char *text, size_t len,
                       struct update_refusal *why) {
        char expires[32], trusted[32];
        if (!streq(m->channel, t->channel))
                return update_refuse(
                        why, -EXDEV,
                        "another channel: the manifest is for \"%s\", this machine follows \"%s\"",
                        m->channel, t->channel);
        if (m->serial <= t->last.serial && !seen_before(t, m, text, len))
                return update_refuse(why, -ESTALE,
                                     "replayed or older manifest: serial %" PRIu64
                                     " is not newer than %" PRIu64 ", accepted before",
                                     m->serial, t->last.serial);
        int64_t now = update_trusted_now(t);
        if (m->expires <= now) {
                update_time_format(m->expires, expires, sizeof expires);
                update_time_format(now, trusted, sizeof trusted);
                return update_refuse(why, -ETIME,
                                     "expired: the manifest expired at %s, and it is at least %s", expires,
                                     trusted);
        }
        return 0;
}

int update_verify(const struct update_trust *t, const char *manifest, size_t len, const char *signature,
                  struct manifest *ret, struct update_refusal *why) {
        struct manifest m;
        int r = check_signature(t, manifest, len, signature, why);
        if (r >= 0)
                r = manifest_parse(manifest, len, &m, why);
        if (r < 0)
                return r;
        r = check_terms(t, &m, manifest, len, why);
        if (r < 0) {
                manifest_free(&m);
                return r;
        }
        *ret = m;
        return 0;
}

int update_verify_kept(const struct update_trust *t, const char *manifest, size_t len, const char *signature,
                       struct manifest *ret, struct update_refusal *why) {
        int r = check_signature(t, manifest, len, signature, why);
        return r < 0 ? r : manifest_parse(manifest, len, ret, why);
}

int update_verify_package(const struct manifest_package *p, const char *path, struct update_refusal *why) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        uint64_t size;
        int r = sha256_file(path, digest, &size);
        if (r < 0)
                return update_refuse(why, r, "%s could not be read: %s", p->file, strerror(-r));
        if (size != p->size)
                return update_refuse(why, -EILSEQ, "%s is %" PRIu64 " bytes, the manifest says %" PRIu64,
                                     p->file, size, p->size);
        sha256_to_hex(digest, hex);
        if (!streq(hex, p->sha256))
                return update_refuse(why, -EILSEQ, "%s does not match its sha256 in the manifest (got %s)",
                                     p->file, hex);
        return 0;
}
