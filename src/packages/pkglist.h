/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A list of package names kept one a line, sorted (STATE_DIR/packages/pacman.list: what
 * `koompi install` added to the root from the repositories, for the update transaction to
 * install again into each new root). */

/* Reads path (a missing file is an empty list) and writes it again, atomically, with the
 * names of add in it and those of remove not (both NULL-terminated, either NULL). The folder
 * is made when missing. 0 or a negative errno (nothing changed then). */
int pkglist_update(const char *path, char *const *add, char *const *remove);
