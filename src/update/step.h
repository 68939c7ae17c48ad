/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

/* The distribution's side of a staged rollout: from the tier's schedule and the machines'
 * reports, whether to raise the percent, hold, or halt (percent 0 and paused) because too many
 * machines that took the release failed with it, as hawkBit's error condition does. Pure. */
#define STEP_REASON_MAX 200
#define STEP_DEFAULT_THRESHOLD 5 /* percent of the machines that took it */
#define STEP_DEFAULT_MIN_REPORTS 10 /* fewer machines say nothing yet */
#define STEP_CRITICAL_SECONDS (48 * 3600)
#define STEP_REGULAR_SECONDS (14 * 24 * 3600)

enum step_action {
        STEP_HOLD,
        STEP_RAISE,
        STEP_HALT,
};

struct step_input {
        enum update_tier tier;
        unsigned percent;
        bool paused;
        int64_t started; /* when the rollout began */
        int64_t now;
        unsigned taken; /* machines that took this release */
        unsigned failed; /* of those, machines that rolled back from it */
        unsigned threshold; /* halt above this failure rate, in percent */
        unsigned min_reports; /* no halt before this many machines took it */
};

struct step_result {
        enum step_action action;
        unsigned percent;
        bool paused;
        char reason[STEP_REASON_MAX];
};

/* The percent the tier's schedule reaches after elapsed seconds: security 100 at once;
 * critical 10, 25, 50, then 100 % over 48 hours; regular and major the same over 14 days. */
unsigned step_schedule(enum update_tier tier, int64_t elapsed);
/* The next step of a rollout. */
void step_decide(const struct step_input *in, struct step_result *ret);
const char *step_action_name(enum step_action a);
