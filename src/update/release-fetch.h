/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

#include "fetch.h"
#include "verify.h"

/* A channel's release from the first mirror that serves one this machine accepts: mirrors in
 * order, the next one on any error (unreachable, missing files, or a manifest refused). */
struct release_fetched {
        char *mirror; /* the base URL that served it */
        char *manifest; /* manifest.json as fetched */
        size_t manifest_len;
        char *signature; /* manifest.json.minisig, NULL when no mirror had one */
};

/* Fetches <mirror>/<channel>/manifest.json and its .minisig from each mirror in turn and
 * checks them with update_verify() under t. 0 with *ret (release_fetched_free() it); the
 * refusal's negative errno (see refusal.h) when every mirror that answered served a refused
 * manifest (the last refusal in why); -EIO when no mirror answered (why says what each did);
 * -EINVAL when mirrors is empty. */
int release_fetch(char *const *mirrors, const struct update_trust *t, const struct fetch_limits *lim,
                  struct release_fetched *ret, struct update_refusal *why);
void release_fetched_free(struct release_fetched *f);
