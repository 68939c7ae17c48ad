/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdint.h>

#include "manifest.h"

/* A release's packages onto the disk over libcurl, for links that are slow, metered and cut:
 * each file grows in NAME.part and continues where it stopped (an HTTP range) after a failure,
 * a restart of the agent or of the machine; a bandwidth limit; a stalled link gives up instead
 * of hanging. A file is renamed to its name only once its size and SHA-256 match the manifest,
 * so what pacman later reads was verified. */
struct download_limits {
        uint64_t max_rate; /* bytes a second, 0: no limit */
        unsigned connect_timeout_s;
        unsigned stall_timeout_s; /* gives up when nothing arrived for this long */
};

struct download_ops {
        /* A file moved on: have of total bytes of the whole release (may be NULL). */
        void (*progress)(const char *file, uint64_t have, uint64_t total, void *userdata);
        void *userdata;
};

/* What a download did, for the record and the figures. */
struct download_stats {
        uint64_t fetched; /* bytes that came over the network */
        uint64_t resumed; /* bytes already there from an earlier try, not fetched again */
};

/* Fetches every package of m from the first mirror that has it (mirrors in order, the next one
 * on any error) into dir: <mirror>/<m->channel>/<m->repo_path><file>. Files already there and
 * verified are kept. 0 when every package is in dir and verified; -ENOSPC when dir lacks room
 * for what is left to fetch (checked first; nothing fetched); -EILSEQ when a mirror served bytes
 * that do not match (its .part is deleted) and no other mirror served good ones; -EIO when no
 * mirror could be read to the end (the .part files stay, to be continued); or another negative
 * errno. why says which file and what happened. stats (may be NULL) adds up what was done. */
int download_release(char *const *mirrors, const struct manifest *m, const char *dir,
                     const struct download_limits *lim, const struct download_ops *ops,
                     struct download_stats *stats, struct update_refusal *why);
/* The bytes still to fetch for m into dir (the .part files count as fetched). 0 or a negative
 * errno. */
int download_remaining(const struct manifest *m, const char *dir, uint64_t *ret);
