/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rollout's arithmetic over libsodium (HMAC-SHA256, SHA-256), and its decisions. */
#include "rollout.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>

#include "util.h"

#define APP_ID_MESSAGE "koompi-rollout"

int rollout_machine_hmac(const char *machine_id, const char *message, uint8_t ret[ROLLOUT_APP_ID_BYTES]) {
        uint8_t key[16];
        size_t n = 0;
        crypto_auth_hmacsha256_state st;
        if (sodium_init() < 0)
                return -ENOMEM;
        if (strlen(machine_id) != 32 ||
            sodium_hex2bin(key, sizeof key, machine_id, 32, NULL, &n, NULL) != 0 || n != sizeof key)
                return -EINVAL;
        crypto_auth_hmacsha256_init(&st, key, sizeof key);
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)message, strlen(message));
        crypto_auth_hmacsha256_final(&st, ret);
        sodium_memzero(key, sizeof key);
        sodium_memzero(&st, sizeof st);
        return 0;
}

int rollout_machine_hmac_file(const char *path, const char *message, uint8_t ret[ROLLOUT_APP_ID_BYTES]) {
        char line[128];
        int r = read_line_file(path, line, sizeof line);
        if (r >= 0)
                r = rollout_machine_hmac(line, message, ret);
        secure_wipe(line, sizeof line);
        return r;
}

int rollout_app_id(const char *machine_id, uint8_t ret[ROLLOUT_APP_ID_BYTES]) {
        return rollout_machine_hmac(machine_id, APP_ID_MESSAGE, ret);
}

int rollout_app_id_file(const char *path, uint8_t ret[ROLLOUT_APP_ID_BYTES]) {
        return rollout_machine_hmac_file(path, APP_ID_MESSAGE, ret);
}

unsigned rollout_bucket(const uint8_t app_id[ROLLOUT_APP_ID_BYTES], const char *version) {
        uint8_t digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_state st;
        uint64_t v = 0;
        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, app_id, ROLLOUT_APP_ID_BYTES);
        crypto_hash_sha256_update(&st, (const uint8_t *)version, strlen(version));
        crypto_hash_sha256_final(&st, digest);
        for (int i = 0; i < 8; i++)
                v = v << 8 | digest[i];
        return (unsigned)(v % 100);
}

int rollout_ring_parse(const char *s, enum rollout_ring *ret) {
        static const char *const names[] = {
                [RING_EARLY] = "early", [RING_NORMAL] = "normal", [RING_LATE] = "late"
        };
        for (size_t i = 0; s && i < ELEMENTSOF(names); i++)
                if (streq(s, names[i])) {
                        *ret = (enum rollout_ring)i;
                        return 0;
                }
        return -EINVAL;
}

unsigned rollout_ring_bucket(enum rollout_ring ring, unsigned bucket) {
        return ring == RING_EARLY ? 0 : ring == RING_LATE ? 99 : bucket;
}

static void staged(const struct rollout_terms *t, struct rollout_decision *d) {
        const char *ring = t->ring == RING_EARLY ? " (early ring)"
                : t->ring == RING_LATE           ? " (late ring)"
                                                 : "";
        if (t->paused) {
                snprintf(d->reason, sizeof d->reason, "waiting: the rollout of %s is paused", t->version);
                return;
        }
        d->eligible = d->bucket < t->percent;
        if (d->eligible)
                snprintf(d->reason, sizeof d->reason, "in the %u %% wave: yes", t->percent);
        else
                snprintf(d->reason, sizeof d->reason,
                         "waiting: this machine is in bucket %u%s, the release is at %u %%", d->bucket, ring,
                         t->percent);
}

void rollout_decide(const struct rollout_terms *t, unsigned bucket, struct rollout_decision *ret) {
        struct rollout_decision d = { .bucket = rollout_ring_bucket(t->ring, bucket) };
        if (t->current && streq(t->current, t->version))
                snprintf(d.reason, sizeof d.reason, "up to date: %s is this machine's release", t->version);
        else if (t->tier == TIER_SECURITY) {
                d.eligible = true;
                snprintf(d.reason, sizeof d.reason, "a security release: every machine takes it at once");
        } else if (t->tier == TIER_MAJOR) {
                d.eligible = t->approved;
                if (t->approved)
                        snprintf(d.reason, sizeof d.reason, "a major release, approved by an admin: yes");
                else
                        snprintf(
                                d.reason, sizeof d.reason,
                                "waiting: a major release needs an admin's approval (koompi update approve %s)",
                                t->version);
        } else
                staged(t, &d);
        *ret = d;
}
