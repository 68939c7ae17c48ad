/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

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

/* Without blocking: runs koompi-boot with args (e.g. rootfacts_status_args) under the event
 * loop e, killed after src->timeout_ms. done is called once with r its exit status (0..255) or
 * a negative errno (-ETIMEDOUT), out what it printed, error (NULL when r is 0) the reason for
 * people. src must live until then. 0, or a negative errno when it could not be started (done
 * is then not called). */
typedef void (*rootfacts_done_fn)(int r, const char *out, const char *error, void *userdata);
int rootfacts_call(sd_event *e, const struct rootfacts_source *src, const char *const *args,
                   rootfacts_done_fn done, void *userdata);
extern const char *const rootfacts_status_args[];
/* What a status run's (r, out, error) mean, as rootfacts_read() returns it. */
int rootfacts_status_result(const struct rootfacts_source *src, int r, const char *out, const char *error,
                            struct root_facts *ret, char **ret_error);
/* What a change's (r, error) mean, as rootfacts_ack_alert() returns it. */
int rootfacts_change_result(int r, const char *error, char **ret_error);
