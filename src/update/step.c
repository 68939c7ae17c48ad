/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "step.h"

#include <stdio.h>

/* The waves of a staged rollout, each reached at this share (in thirds) of the tier's period. */
static const struct {
        unsigned percent;
        unsigned thirds;
} waves[] = { { 10, 0 }, { 25, 1 }, { 50, 2 }, { 100, 3 } };

unsigned step_schedule(enum update_tier tier, int64_t elapsed) {
        int64_t period = tier == TIER_CRITICAL ? STEP_CRITICAL_SECONDS : STEP_REGULAR_SECONDS;
        unsigned percent = 0;
        if (tier == TIER_SECURITY)
                return 100;
        for (size_t i = 0; i < sizeof waves / sizeof waves[0]; i++)
                if (elapsed >= 0 && elapsed * 3 >= period * waves[i].thirds)
                        percent = waves[i].percent;
        return percent;
}

const char *step_action_name(enum step_action a) {
        return a == STEP_RAISE ? "raise" : a == STEP_HALT ? "halt" : "hold";
}

/* Whether the failures among the machines that took it pass the threshold. */
static bool failing(const struct step_input *in) {
        return in->taken > 0 && in->taken >= in->min_reports &&
                (uint64_t)in->failed * 100 > (uint64_t)in->threshold * in->taken;
}

void step_decide(const struct step_input *in, struct step_result *ret) {
        struct step_result r = { .action = STEP_HOLD, .percent = in->percent, .paused = in->paused };
        unsigned target = step_schedule(in->tier, in->now - in->started);
        if (failing(in)) {
                bool already = in->paused && in->percent == 0;
                r = (struct step_result) { .action = already ? STEP_HOLD : STEP_HALT,
                                           .percent = 0,
                                           .paused = true };
                snprintf(r.reason, sizeof r.reason,
                         "%s: %u of %u machines that took it rolled back (more than %u %%)",
                         already ? "halted already" : "halt", in->failed, in->taken, in->threshold);
        } else if (in->paused)
                snprintf(r.reason, sizeof r.reason,
                         "paused: only a person resumes it (koompi-release set --percent N)");
        else if (target > in->percent) {
                r.action = STEP_RAISE;
                r.percent = target;
                snprintf(r.reason, sizeof r.reason,
                         "raise: the %s schedule is at %u %% (%u of %u machines failed)",
                         update_tier_name(in->tier), target, in->failed, in->taken);
        } else
                snprintf(r.reason, sizeof r.reason, "hold: %u %% is where the %s schedule is", in->percent,
                         update_tier_name(in->tier));
        *ret = r;
}
