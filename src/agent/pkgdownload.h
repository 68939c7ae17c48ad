/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

#include "pkgout.h"
#include "pkgreq.h"

/* The files of manifest (the verified text of the root's release) that files names, fetched
 * into dir by the update's own child (updatedownload.h: [update] user, mirrors, max_rate; free
 * space checked first, a stall gives up), blocking, in the request's process; each file it
 * moves on to said as progress. dir is made the user's first; the caller checks the files as
 * root afterwards. 0, or a negative errno with error saying what failed: -ESRCH no [update]
 * user, -ENOSPC no room, -EILSEQ a mirror served bytes that do not match, -EIO the mirrors
 * could not be read to the end, or another. */
int pkgdownload_run(const struct pkgjob *j, struct pkgjob_out *o, const char *manifest, char *const *files,
                    const char *dir, char *error, size_t size);
