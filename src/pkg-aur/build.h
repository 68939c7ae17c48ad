/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

#include "run.h"

/* An AUR package's way from its git repository to package files, in a throw-away tree
 * (/var/tmp/koompi-aur.XXXXXX: home, pkg (the clone), build, src, out) owned by the user that
 * does the work. Each function returns 0 or a negative errno with a sentence in why
 * (WORKER_WHY_MAX bytes). */

/* Makes the tree, owned by user when we are root. Its path in *ret (free it). */
int aur_work_new(const char *user, char **ret, char *why);
/* Removes the tree, never following a symbolic link in it. Best effort. */
void aur_work_remove(const char *work);
/* git clone of url into work/pkg, over http(s) only, bounded in time: -EIO when it fails. */
int aur_clone(const char *work, const char *url, const struct aur_child *c, char *why);
/* work/pkg/PKGBUILD as text (free it): -ENOENT when there is none, -EFBIG above 256 KiB, -EBADMSG
 * when it is not a regular file or holds a NUL byte. */
int aur_read_pkgbuild(const char *work, char **ret, char *why);
/* makepkg in work/pkg without installing dependencies: with fetch_only, the sources downloaded
 * and verified (makepkg --verifysource); else the package built from them. -ECHILD when makepkg
 * failed (why says at which step), -ETIME when it ran too long. */
int aur_makepkg(const char *work, const struct aur_child *c, int fetch_only, char *why);
/* After a build failed under makepkg --nodeps: the PKGBUILD's makedepends and checkdepends this
 * machine does not have, by makepkg --printsrcinfo and pacman -T on the running root's database,
 * both run as c says. 0 with *ret a vector (NULL when nothing is missing), or a negative errno
 * when it cannot be told (-EBADMSG: no .SRCINFO; -EIO: pacman -T failed). */
int aur_missing_build_deps(const char *work, const struct aur_child *c, char ***ret);
/* Copies the package files makepkg left in work/out into out_dir (new files, never over one
 * there) and gives their absolute paths as {"files":[...]}. -ENOENT when there is none; on
 * failure nothing is left in out_dir. */
int aur_collect(const char *work, const char *out_dir, json_object **ret, char *why);
