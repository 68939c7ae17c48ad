/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* What a machine does when an accepted manifest revokes releases: when the booted root was made
 * from a revoked release, the newest good root not made from one boots next (koompi-boot
 * rollback), else nothing changes and the admin is told. */
#define REVOKE_TEXT_MAX 400

struct revoke_root {
        const char *name;
        const char *release; /* the release it was made from, NULL or "" when unknown */
        bool good; /* booted fine once, or blessed */
        bool booted;
};

enum revoke_action {
        REVOKE_NOTHING, /* the booted root's release is not revoked (or unknown) */
        REVOKE_DONE, /* it is, and a root not revoked already boots next: nothing left to do */
        REVOKE_ROLLBACK, /* roll back to target */
        REVOKE_STUCK, /* it is, and no good root of another release is left: nothing changes */
};

struct revoke_decision {
        enum revoke_action action;
        const char *booted; /* the booted root when its release is revoked (into roots), or NULL */
        const char *release; /* the booted root's release (pointing into roots), or NULL */
        const char *target; /* REVOKE_ROLLBACK, REVOKE_DONE: the root that boots (into roots) */
        char text[REVOKE_TEXT_MAX]; /* the alert's words for REVOKE_ROLLBACK and REVOKE_STUCK */
};

/* roots newest first, as `koompi-boot status --json` lists them; revoked a NULL-terminated list
 * of versions (may be NULL); next the root booted next (NULL when unknown). Pure. */
void revoke_decide(const struct revoke_root *roots, size_t n, char *const *revoked, const char *next,
                   struct revoke_decision *ret);
/* Whether release (NULL or "": unknown, never revoked) is in revoked. */
bool revoke_listed(char *const *revoked, const char *release);
