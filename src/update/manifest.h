/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "refusal.h"

/* A release's manifest.json (format 1), parsed with json-c and checked field by field. */
#define MANIFEST_FORMAT 1
#define MANIFEST_MAX_BYTES (1024 * 1024)

enum update_tier {
        TIER_SECURITY, /* every machine, at once */
        TIER_CRITICAL, /* staged, fast */
        TIER_REGULAR, /* staged */
        TIER_MAJOR, /* only once an admin approves it */
        _TIER_MAX,
};

struct manifest_package {
        char *name;
        char *version;
        char *file; /* a bare file name in the repository's folder */
        uint64_t size;
        char sha256[65]; /* lower-case hex */
        bool optional; /* "optional": in the repository, verified, but applied only when asked for */
};

struct manifest {
        unsigned format;
        char *channel;
        char *version;
        uint64_t serial;
        int64_t issued, expires; /* seconds since the epoch, UTC */
        enum update_tier tier;
        unsigned percent; /* rollout.percent, 0-100 */
        bool paused; /* rollout.paused */
        int64_t started; /* rollout.started, optional: 0 when absent */
        char *repo_name;
        char *repo_path; /* relative to the manifest's folder, ends in '/' */
        struct manifest_package *packages;
        size_t n_packages;
        char **revoked; /* versions, a string vector (may be NULL: none) */
        char *notes; /* optional, NULL when absent */
};

/* Parses and checks len bytes of text. 0 with *ret filled (manifest_free() it); -EBADMSG for
 * malformed JSON or a field missing, of the wrong kind or out of range;
 * -EPROTONOSUPPORT for a format other than MANIFEST_FORMAT. why says which (may be NULL). */
int manifest_parse(const char *text, size_t len, struct manifest *ret, struct update_refusal *why);
void manifest_free(struct manifest *m);

/* Drops from m each optional package whose name is not in names (NULL: none), so that what is
 * downloaded, verified and installed is the release's own packages and the optional ones asked
 * for. */
void manifest_drop_optional(struct manifest *m, char *const *names);
/* Keeps in m only the packages whose file is in files (NULL: none). -ENOENT, m unchanged, when
 * a file of files is not in m (*ret_missing points at it); 0 otherwise. */
int manifest_keep_files(struct manifest *m, char *const *files, const char **ret_missing);

/* "security", "critical", "regular", "major"; NULL for anything else. */
const char *update_tier_name(enum update_tier t);
/* The tier named s. 0 or -EINVAL. */
int update_tier_parse(const char *s, enum update_tier *ret);
/* "2026-12-06T00:00:00Z" (UTC, that form only). 0 or -EINVAL. */
int update_time_parse(const char *s, int64_t *ret);
/* The same form of t into buf (21 bytes are enough). */
void update_time_format(int64_t t, char *buf, size_t size);
/* Whether s may name a channel or a repository: 1-64 of [a-z0-9._-], not starting with '.'. */
bool update_name_valid(const char *s);
/* Whether s may be a version: 1-64 of [A-Za-z0-9._+:~-], not starting with '.'. */
bool update_version_valid(const char *s);
/* Whether the version v is in m's revoked list. */
bool manifest_revokes(const struct manifest *m, const char *v);
