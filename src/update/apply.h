/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "manifest.h"

/* A release applied from its verified local copy: the cache folder of its files, the pacman
 * configuration pinned to that copy, the check of the copy by root before pacman reads it, and
 * what is kept of the outcome. Nothing here reads the network.
 *
 * The repository's database must be listed in the manifest's packages[] like a package (file
 * "<repo.name>.db", its size and sha256): pacman reads it as root, so its bytes are verified
 * like every other byte pacman reads. */

/* STATE_DIR/update/cache/VERSION into buf. 0, -EINVAL for a version that is no version, or
 * -ENAMETOOLONG. */
int apply_cache_path(const char *state_dir, const char *version, char *buf, size_t size);
/* Whether m lists its repository's database ("<repo.name>.db") and names its packages as
 * pacman does (a-z, 0-9, @._+-, not starting with '-' or '.'). 0, or -EBADMSG with why filled
 * (may be NULL). */
int apply_repo_check(const struct manifest *m, struct update_refusal *why);
/* Makes dir (and its parents, root's) owned by uid:gid, mode 0755, for the download. 0 or a
 * negative errno. */
int apply_cache_prepare(const char *dir, uid_t uid, gid_t gid);
/* After the download, as root: dir and every file of m in it become root's (a symbolic link or
 * anything but a regular file is refused), then each is checked against m (size, SHA-256).
 * 0, -EILSEQ when a file does not match (why says which), or another negative errno. */
int apply_cache_verify(const struct manifest *m, const char *dir, struct update_refusal *why);
/* Removes dir's regular files, then dir: the cache goes once its files are in the new root.
 * Best effort: what cannot be removed stays. */
void apply_cache_remove(const char *dir);
/* Writes dir/pacman.conf: only m's repository, its server the folder mount (where the
 * command's sandbox shows dir), the database inside the root (rootpacman.h), no signature required (the files were verified against the
 * signed manifest). 0 or a negative errno. */
int apply_pacman_conf(const struct manifest *m, const char *dir, const char *mount);
/* The arguments of `koompi-boot update --pacman` for m's copy shown at mount: the pinned
 * configuration, a full upgrade from it and m's packages installed when missing, no question.
 * m passed apply_repo_check(). Free it. */
char *apply_pacman_args(const char *mount, const struct manifest *m);
/* The command `koompi-boot update --run` runs in the new root for m's copy shown at mount:
 * pacman with apply_pacman_args(), after moving a database left at pacman's default place into
 * the root (rootpacman.h) when the root has none there yet. m passed apply_repo_check(). Free
 * it. */
char *apply_command(const char *mount, const struct manifest *m);
/* Where a root made from a release keeps that release's verified manifest.json and
 * manifest.json.minisig, beside the files they describe: a rollback brings the matching
 * manifest back with its root, and `koompi install` reads the repository it may take from. */
#define APPLY_KEPT_DIR "usr/lib/koompi/release"
/* Writes text as dir/manifest.json and sig as dir/manifest.json.minisig, root's files,
 * replacing whatever the download left under those names. 0 or a negative errno. */
int apply_keep_manifest(const char *dir, const char *text, const char *sig);
/* "COMMAND && ..." copying the two files of apply_keep_manifest() from mount (where the
 * command's sandbox shows dir) into the new root's /APPLY_KEPT_DIR/. Free it. */
char *apply_keep_command(const char *command, const char *mount);
/* The new root's name from what `koompi-boot update` printed ("update: NAME made from ...").
 * 0, or -ENOENT when it says none. */
int apply_root_from_output(const char *out, char *buf, size_t size);
/* Keeps version as the release this machine last applied: STATE_DIR/update/current holds it.
 * Which root holds which release is the root's own /etc/koompi/release (written by
 * `koompi-boot update --release`), not kept here. 0, -EINVAL for a version that is no version,
 * or another negative errno. */
int apply_record(const char *state_dir, const char *version);
