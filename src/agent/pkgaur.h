/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

#include "pkgreq.h"
#include "pkgout.h"

/* An AUR package from its plan: built by koompi-pkg-aur (as [packages] user) into a folder
 * under /run/koompi (which the new root's command sees), installed into a new root with
 * `pacman -U`, named in STATE_DIR/packages/aur.list, its maintainer kept for the next risk
 * check; the folder removed either way. 0, or a negative errno with error saying what failed
 * (nothing changed then). */
int pkgexec_aur_install(const struct pkgjob *j, struct pkgjob_out *o, json_object *plan, char *error,
                        size_t size);
