/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A score and its reasons, shared by the scoring of each source and of a PKGBUILD. */
#include <stdarg.h>
#include <stdio.h>

#include "risk.h"

void risk_add(struct risk_result *r, double weight, const char *fmt, ...) {
        va_list ap;
        r->score += weight;
        if (r->score > 1.0)
                r->score = 1.0;
        if (r->n >= RISK_MAX_REASONS)
                return;
        struct risk_reason *reason = &r->reasons[r->n++];
        reason->weight = weight;
        va_start(ap, fmt);
        vsnprintf(reason->text, sizeof reason->text, fmt, ap);
        va_end(ap);
}

bool risk_needs_confirmation(const struct risk_result *r) {
        return r->score > RISK_CONFIRM_ABOVE;
}
