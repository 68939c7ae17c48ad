/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

#include "pkgreq.h"
#include "pkgout.h"
#include "risk.h"

/* Does what the plans (pkgplan_plan()'s) say, in order: an AppImage or a Flatpak through its
 * worker, at once; the repositories' packages (and the AUR's, built by its worker) together in
 * one new root through `koompi-boot update --run` (root_pacman_command(): pacman -S or -R, or
 * -U for the AUR's), the old root left as it was; the list of what was added to the roots kept up to date
 * (STATE_DIR/packages/pacman.list, aur.list). Each plan gets "done": true once done. 0, or
 * the negative errno of the first step that failed (the steps before it stay done; error
 * names what failed). */
int pkgexec_do(const struct pkgjob *j, struct pkgjob_out *o, enum risk_op op, json_object *plans, char *error,
               size_t size);
