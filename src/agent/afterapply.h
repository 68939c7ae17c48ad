/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

struct agent;

/* What follows an applied release: version's root (sealed, its entry written, booted next)
 * is recorded "applied" once, and [update] reboot decides whether the agent restarts the
 * machine into it (rebootpolicy.h): never (the update boots next time, and GetStatus's
 * "update_pending" says so), idle or a window (asked again every 5 minutes until it is time;
 * then logind's Manager.Reboot). Each decision is logged. The apply code calls it when a new
 * root is made; the root facts call it too (updateoutcome.h), so a root an admin made with
 * koompi-boot update --release is handled alike. Calling it again for the same root changes
 * nothing. */
void update_after_apply(struct agent *a, const char *version, const char *root);
/* From the root facts just read: a booted root made from a release that is good is recorded
 * booted-good once; a root made from a release that boots next, not yet booted, goes through
 * update_after_apply() (once per root: whoever applied it, the agent or an admin with
 * koompi-boot update --release). */
void update_outcome_facts(struct agent *a);
/* GetStatus's "update_pending": "VERSION (ROOT) boots next: REASON" while that root is the one
 * booted next and not the booted one; NULL otherwise. */
json_object *update_pending_json(const struct agent *a);
/* Drops the pending restart (the agent stops). */
void update_after_apply_done(struct agent *a);
