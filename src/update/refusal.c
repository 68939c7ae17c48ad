/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "refusal.h"

#include <stdarg.h>
#include <stdio.h>

int update_refuse(struct update_refusal *r, int error, const char *fmt, ...) {
        va_list ap;
        if (!r)
                return error;
        r->error = error;
        va_start(ap, fmt);
        vsnprintf(r->reason, sizeof r->reason, fmt, ap);
        va_end(ap);
        return error;
}
