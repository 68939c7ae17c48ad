/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

#include "manifest.h"

/* What `koompi install` added, carried by UpdateApply into the release's new root in the same
 * transaction:
 * - STATE_DIR/packages/pacman.list: a name the release's manifest lists is carried (apply
 *   installs every package of the manifest when missing, from the verified copy); one it does
 *   not list is not installed from anywhere else: it is named in not_carried and stays in the
 *   list, for a later release that has it again (`koompi remove` takes it out).
 * - STATE_DIR/packages/aur.list: the files kept when the package was built (pkgkeep.h) are
 *   copied into the release's cache folder, each checked against the SHA-256 recorded then,
 *   and installed after the release with `pacman -U --needed`. A package with no kept file, or
 *   one whose file no longer matches, is not carried (named in not_carried) and stays listed. */
struct updatecarry {
        char **carried; /* names */
        char **not_carried; /* "NAME: why" */
        char **files; /* the AUR files copied into the cache folder, bare names */
};

/* The optional packages of a release apply takes, by name, into *ret (NULL when none; free it
 * with strv_free()): those of STATE_DIR/packages/pacman.list, and those installed in the root
 * at root ("/": the running one; its own database, rootpacman.h), which pacman -Syu upgrades
 * (a dependency koompi install brought along). 0, or a negative errno when the list could not
 * be read (a root without a database has nothing installed). */
int updatecarry_optional_names(const char *state_dir, const char *root, char ***ret);
/* Reads both lists of state_dir (a missing list is empty) against m, copying the AUR files
 * into dir (the verified cache folder, root's). 0 with *c filled (updatecarry_free() it), or a
 * negative errno when a list could not be read (nothing copied then). */
int updatecarry_prepare(struct updatecarry *c, const char *state_dir, const struct manifest *m,
                        const char *dir);
/* The new root's command when AUR files are carried: "COMMAND && pacman --config
 * MOUNT/pacman.conf -U --noconfirm --needed -- MOUNT/FILE..." (for koompi-boot update --run),
 * COMMAND being apply_command()'s. NULL when there are none (COMMAND alone is the command).
 * Free it. */
char *updatecarry_command(const struct updatecarry *c, const char *command, const char *mount);
/* c as the answer's "carried" and "not_carried" arrays, added to o. */
void updatecarry_answer(const struct updatecarry *c, json_object *o);
void updatecarry_free(struct updatecarry *c);
