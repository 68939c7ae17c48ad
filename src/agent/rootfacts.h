/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* What the agent knows of the roots and the ledger. Today it asks `koompi-boot --json status`
 * (the one place the boot-side rules live) and parses the answer; only this file knows that,
 * so it can move to the admin library's root view without touching the rest of the agent. */
struct rootfacts_source {
        const char *koompi_boot; /* the binary */
        const char *top; /* --top, or NULL for koompi-boot's default */
        const char *esp; /* --esp, or NULL */
        const char *state; /* --state (koompi-init's boot record), or NULL */
        const char *entry; /* mark-bad: --entry (the booted entry file), or NULL */
        unsigned timeout_ms; /* koompi-boot is killed after this long */
};

struct root_facts {
        char *booted_root; /* "" when unknown */
        char *next_root; /* the root the loader boots next, "" when unknown */
        bool counting; /* this boot's tries are counted (it is on trial) */
        json_object *status; /* koompi-boot's whole status object (owned) */
        json_object *alerts; /* its unacknowledged alerts (borrowed from status) */
};

/* Parses the JSON of `koompi-boot --json status`. 0, or -EBADMSG when it is not that object. */
int rootfacts_parse(const char *json, struct root_facts *ret);
/* Asks koompi-boot. 0, or a negative errno with *ret_error saying what failed (free it). */
int rootfacts_read(const struct rootfacts_source *src, struct root_facts *ret, char **ret_error);
/* `koompi-boot alerts ack SEQ` (every alert when seq is 0). 0, -ENOENT when seq names no alert,
 * or another negative errno with *ret_error saying what failed (free it). */
int rootfacts_ack_alert(const struct rootfacts_source *src, uint64_t seq, char **ret_error);
/* `koompi-boot mark-bad --reason REASON` (with --entry when the source has one): this boot is
 * bad, and why. 0, or a negative errno with *ret_error saying what failed (free it). */
int rootfacts_mark_bad(const struct rootfacts_source *src, const char *reason, char **ret_error);
/* `koompi-boot note TEXT`: TEXT becomes the note of this boot in the ledger. Same returns. */
int rootfacts_note(const struct rootfacts_source *src, const char *text, char **ret_error);
/* `koompi-boot alerts raise KIND TEXT`: an alert for the admin. Same returns. */
int rootfacts_raise_alert(const struct rootfacts_source *src, const char *kind, const char *text,
                          char **ret_error);
void rootfacts_free(struct root_facts *f);
