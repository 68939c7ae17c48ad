/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdint.h>

#include "manifest.h"
#include "minisign.h"
#include "chanstate.h"

/* The whole judgement of a fetched manifest, before anything is downloaded: its signature by a
 * trusted key, its form, its channel, its serial and its expiry. Pure: the keys, the state and
 * the times are handed in. */
struct update_trust {
        const char *channel; /* this machine's channel */
        const struct minisign_pubkey *keys;
        size_t n_keys;
        struct channel_state last; /* serial 0: nothing accepted yet */
        int64_t now; /* the clock, which may be wrong */
        int64_t build_time; /* when this program was built: no true time is older */
};

/* When this program was built (the newest commit's date, or SOURCE_DATE_EPOCH), in seconds
 * since the epoch; 0 when the build did not say. */
int64_t update_build_time(void);
/* The newest time the machine can trust: the latest of the clock, the last accepted manifest's
 * issued time and the build time. */
int64_t update_trusted_now(const struct update_trust *t);

/* Checks manifest (len bytes) and its signature file text (NULL when there was none). 0 with
 * *ret filled (manifest_free() it), or the refusal's negative errno (see refusal.h), the
 * reason in why: -ENOENT, -EKEYREJECTED, -ENOKEY, -EBADMSG, -EPROTONOSUPPORT, -EXDEV, -ESTALE,
 * -ETIME. Nothing is parsed before the signature is good. The manifest accepted last time
 * (the same serial and the same bytes) is accepted again: fetching it twice is no replay. */
int update_verify(const struct update_trust *t, const char *manifest, size_t len, const char *signature,
                  struct manifest *ret, struct update_refusal *why);

/* Checks the manifest a root keeps of the release it was made from (and the signature file's
 * text, NULL when there was none): its signature by a key t trusts now, then its form. Its
 * channel, serial and expiry were judged when it was accepted; a release running for a while
 * is not refused for being old. 0 with *ret filled (manifest_free() it), or the refusal's
 * negative errno (-ENOENT no signature, -EKEYREJECTED, -ENOKEY, -EBADMSG, -EPROTONOSUPPORT),
 * the reason in why. */
int update_verify_kept(const struct update_trust *t, const char *manifest, size_t len, const char *signature,
                       struct manifest *ret, struct update_refusal *why);

/* The SHA-256 of a manifest's bytes, as channel_state keeps it. */
void update_manifest_sha256(const char *manifest, size_t len, char hex[65]);

/* Checks the package file at path against p: its size, then its SHA-256. 0, -EILSEQ when they
 * differ (why says which), or the negative errno of reading it. */
int update_verify_package(const struct manifest_package *p, const char *path, struct update_refusal *why);
