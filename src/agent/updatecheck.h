/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "agentconf.h"

/* One check for a release (UpdateCheck): the channel's manifest fetched from the mirrors and
 * judged in a child process that has dropped root ([update] user), since it reads the
 * network; its answer, a small JSON object over a pipe, judged again here from the start (the
 * signature first); the accepted serial and issued time kept in STATE_DIR/update; and whether
 * this machine takes the release now, and why. */
struct updatecheck;

/* The answer, for GetStatus-like callers: {"channel", "mirror", "current", "version", "tier",
 * "serial", "issued", "expires", "bucket", "percent", "paused", "eligible", "reason", "notes",
 * "revoked_current", "revoked" (the manifest's list)} or, when nothing was accepted, {"error": "...", "refused": bool}. done
 * owns it. */
typedef void (*updatecheck_done_t)(json_object *answer, void *userdata);

/* Starts a check on e. 0, or a negative errno when the child or the loop's sources could not
 * be had (nothing is left running then). */
int updatecheck_start(struct updatecheck **ret, sd_event *e, const struct agent_config *conf,
                      const char *state_dir, updatecheck_done_t done, void *userdata);
/* The text of the manifest this check accepted (judged here, its signature first), for the
 * done function; NULL when none was. Owned by the check. */
const char *updatecheck_accepted(const struct updatecheck *u);
/* The signature file's text of that manifest, NULL when none was accepted. Owned by the
 * check. */
const char *updatecheck_accepted_signature(const struct updatecheck *u);
/* The release of the booted root (its /etc/koompi/release, as koompi-boot status reports it),
 * which the answer's "current" and "revoked_current" are about; without one (NULL or ""),
 * updatecheck_current_release() is. */
void updatecheck_set_current(struct updatecheck *u, const char *release);
/* Kills the child when it still runs, and frees the check. */
void updatecheck_free(struct updatecheck *u);

/* The release of the root this machine runs (STATE_DIR/update/current, written when a release
 * is applied), NULL when unknown. Free it. */
char *updatecheck_current_release(const char *state_dir);
