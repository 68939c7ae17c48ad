/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "refusal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

bool update_is_refusal(int error) {
        static const int refusals[] = { ENOENT, EKEYREJECTED, ENOKEY, EBADMSG, EPROTONOSUPPORT,
                                        EXDEV,  ESTALE,       ETIME,  EILSEQ };
        for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
                if (error == -refusals[i])
                        return true;
        return false;
}

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
