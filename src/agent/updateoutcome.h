/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>

#include "revoke.h"

struct agent;

/* What became of releases on this machine (outcomes.h): every outcome kept in
 * STATE_DIR/update/outcomes; queued in STATE_DIR/update/report-queue and sent to
 * [update] report_url only when [privacy] report = yes. Nothing here fails its caller: a
 * problem is logged. */

/* Records outcome ("taken", "applied", "booted-good", "rolled-back") of version, then sends
 * the queue. */
void update_outcome(struct agent *a, const char *version, const char *outcome);
/* Sends the queue, one POST per line, from a child process without root ([update] user), when
 * privacy allows it and a URL is set; the lines the URL took leave the queue when the child
 * ends, the rest wait for the next call. One send at a time. */
void update_reports_send(struct agent *a);
/* Stops a send still running (the agent stops). */
void update_reports_done(struct agent *a);

/* Whether name is one of the lines of STATE_DIR/FILE; when not, it is added (so each root is
 * handled once, across restarts of the agent; the oldest names go past 4 KiB). */
bool update_state_seen(struct agent *a, const char *file, const char *name);
/* The roots of koompi-boot's status object as revoke.h takes them, newest first, pointing into
 * status; *ret NULL when there are none. free() it. The number of roots. */
size_t update_roots_of(json_object *status, struct revoke_root **ret);
