/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reports machines send about a release, JSON lines that koompi-release step counts to
 * raise, hold or halt the rollout: whatever the lines hold, each machine counts once, a
 * machine that failed is one that took it, and the step stays within 0-100 %. */
#include <errno.h>

#include "fuzzer.h"
#include "reports.h"
#include "step.h"
#include "util.h"

#define STARTED 1796515200 /* 2026-12-06T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_string(data, size);
        unsigned taken = 0, failed = 0, skipped = 0, lines = 1;
        struct step_result res;

        for (const char *p = text; *p; p++)
                lines += *p == '\n';
        FUZZ_CHECK(reports_count(text, "2026.12.2", &taken, &failed, &skipped) == 0);
        FUZZ_CHECK(failed <= taken && taken + skipped <= lines);
        struct step_input in = { .tier = TIER_REGULAR,
                                 .percent = 25,
                                 .started = STARTED,
                                 .now = STARTED + 3 * 86400,
                                 .taken = taken,
                                 .failed = failed,
                                 .threshold = STEP_DEFAULT_THRESHOLD,
                                 .min_reports = 1 };
        step_decide(&in, &res);
        FUZZ_CHECK(res.percent <= 100 && step_action_name(res.action));
        FUZZ_CHECK(res.action != STEP_HALT || (res.percent == 0 && res.paused));
        return 0;
}
