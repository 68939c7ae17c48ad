/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

/* Why a manifest or a package was refused: the negative errno a caller maps to its exit code,
 * and the sentence shown to people. The errno of each refusal:
 *   -ENOENT          no signature beside the manifest
 *   -EKEYREJECTED    a signature that is not minisign's, or does not verify
 *   -ENOKEY          signed by a key not in the keys folder
 *   -EBADMSG         malformed JSON, or a field missing or of the wrong kind
 *   -EPROTONOSUPPORT an unknown "format"
 *   -EXDEV           a manifest of another channel
 *   -ESTALE          a serial not greater than the last accepted one (replayed or older)
 *   -ETIME           expired, judged against the newest trustworthy time
 *   -EILSEQ          a package whose bytes do not match its size or sha256 */
#define UPDATE_REASON_MAX 512

struct update_refusal {
        int error; /* 0 while nothing was refused */
        char reason[UPDATE_REASON_MAX];
};

/* Whether error is one of the refusals above (not a failure to fetch or to write). */
bool update_is_refusal(int error);
/* Fills r (when not NULL) with error and the formatted reason, and returns error. */
int update_refuse(struct update_refusal *r, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
