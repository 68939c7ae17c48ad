/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

#include "pkgreq.h"
#include "pkgout.h"

/* An AUR package from its plan: built by koompi-pkg-aur (as [packages] user) into a folder
 * under /run/koompi; its files copied out by root into STATE_DIR/packages/aur/NAME/ with their
 * SHA-256 (pkgkeep.h), installed from those copies into a new root with `pacman -U`, named in
 * STATE_DIR/packages/aur.list for the next release, its maintainer kept for the next risk
 * check; the build folder removed either way. 0, or a negative errno with error saying what
 * failed (nothing changed then). */
int pkgexec_aur_install(const struct pkgjob *j, struct pkgjob_out *o, json_object *plan, char *error,
                        size_t size);
