/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

/* Who takes a release, and when. A machine's place in a staged rollout is public and fixed so
 * a school can predict it, and the machine-id never leaves the machine:
 *   app_id = HMAC-SHA256(key = the 16 bytes of the machine-id, message = "koompi-rollout")
 *   bucket = (the first 8 bytes of SHA-256(app_id || version), big-endian) mod 100 */
#define ROLLOUT_APP_ID_BYTES 32
#define ROLLOUT_REASON_MAX 200

enum rollout_ring {
        RING_EARLY, /* a lab that goes first: bucket taken as 0 */
        RING_NORMAL,
        RING_LATE, /* goes last: bucket taken as 99 */
};

/* HMAC-SHA256(key = the 16 bytes of the machine-id given as its 32 hex digits, message): the
 * one way an id of this machine is made, so the machine-id itself never leaves it. 0, or
 * -EINVAL when machine_id is not that. */
int rollout_machine_hmac(const char *machine_id, const char *message, uint8_t ret[ROLLOUT_APP_ID_BYTES]);
/* The same from the machine-id file at path (its first line). 0, -EINVAL when the file holds
 * no machine-id, or the negative errno of reading it. */
int rollout_machine_hmac_file(const char *path, const char *message, uint8_t ret[ROLLOUT_APP_ID_BYTES]);
/* The app id of the machine-id given as its 32 hex digits. 0, or -EINVAL when it is not
 * that. */
int rollout_app_id(const char *machine_id, uint8_t ret[ROLLOUT_APP_ID_BYTES]);
/* The same from the machine-id file at path (its first line). 0, -EINVAL when the file holds
 * no machine-id, or the negative errno of reading it. */
int rollout_app_id_file(const char *path, uint8_t ret[ROLLOUT_APP_ID_BYTES]);
/* This machine's bucket (0-99) for version. */
unsigned rollout_bucket(const uint8_t app_id[ROLLOUT_APP_ID_BYTES], const char *version);
/* "early", "normal", "late": 0, or -EINVAL for anything else. */
int rollout_ring_parse(const char *s, enum rollout_ring *ret);
/* The bucket the ring makes of bucket. */
unsigned rollout_ring_bucket(enum rollout_ring ring, unsigned bucket);

struct rollout_terms {
        const char *version; /* the release offered */
        const char *current; /* this machine's release, NULL when unknown */
        enum update_tier tier;
        unsigned percent;
        bool paused;
        bool approved; /* an admin approved this version (major releases) */
        enum rollout_ring ring;
};

struct rollout_decision {
        bool eligible;
        unsigned bucket; /* after the ring */
        char reason[ROLLOUT_REASON_MAX]; /* "in the 25 % wave: yes", "waiting: ..." */
};

/* Whether this machine, in bucket (before the ring), takes the release now, and why in words a
 * teacher understands. Pure. */
void rollout_decide(const struct rollout_terms *t, unsigned bucket, struct rollout_decision *ret);
