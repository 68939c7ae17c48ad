/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

#include "pkgreq.h"
#include "pkgout.h"

/* koompi-boot [--top T --esp E --state S] update OPTION VALUE (--pacman ARGS or --run CMD)
 * [--pacman-cache CACHE] (CACHE may be NULL: none): a new root with the change, booted next,
 * the old one as it was; its output relayed as progress. 0, or a negative errno (-ECHILD: the
 * command failed and the new root was deleted) with error saying what failed. */
int pkgboot_update(const struct pkgjob *j, struct pkgjob_out *o, const char *option, const char *value,
                   const char *cache, char *error, size_t size);
