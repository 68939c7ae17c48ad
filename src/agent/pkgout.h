/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdio.h>

#include "pkgsource.h"

/* A request's answer to the agent, in the workers' protocol (pkgjob.h). */
struct pkgjob_out {
        FILE *f;
        unsigned step; /* progress lines written */
        enum pkg_source order[PKG_SOURCE_COUNT]; /* the sources' order, from the settings */
        size_t n_order;
};

/* A progress line. */
__attribute__((format(printf, 2, 3))) void pkgout_progress(struct pkgjob_out *o, const char *fmt, ...);
/* The final line: {"result": value} when r is 0, else {"error": error, "errno": -r} with
 * "confirm": value when value is not NULL; then the process exits (1 on an error). */
_Noreturn void pkgout_finish(struct pkgjob_out *o, int r, const char *error, json_object *value);
