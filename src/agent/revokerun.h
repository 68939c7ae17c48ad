/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

struct agent;

/* After an accepted manifest (an UpdateCheck's answer, with its "revoked" list): when the booted
 * root was made from a revoked release, `koompi-boot rollback ROOT` to the newest good root not
 * made from one, an alert of kind "revoked" naming the release and that root, and the outcome
 * "rolled-back"; when there is no such root, an alert saying so and nothing changed
 * (revoke.h decides). Runs without blocking, one at a time; every step is logged. */
void update_revoke_check(struct agent *a, json_object *answer);
