/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

#include "pkgline.h"
#include "risk.h"

/* An info answer: one item plus installed_size, needs_restart (the source's, whatever was
 * sent) and the facts of src. 0 or -EBADMSG. */
int pkg_info_clean(json_object *r, enum pkg_source src, json_object **ret);
/* A build answer (AUR): {"files":[absolute paths of *.pkg.tar.*]}. 0 or -EBADMSG. */
int pkg_build_clean(json_object *r, json_object **ret);

/* What a request's risk is judged in, beside the app's checked info. */
struct pkg_risk_context {
        enum pkg_source source;
        enum risk_op op;
        const char *name;
        int64_t now;
        const char *last_maintainer; /* AUR: at the last install here, NULL when never */
        char *const *protected_names; /* what a removal asks about */
};

/* The risk of installing or removing the app info describes (a pkg_info_clean() answer, or
 * NULL for a removal known by name only), into *ret. */
void pkg_info_risk(json_object *info, const struct pkg_risk_context *ctx, struct risk_result *ret);
