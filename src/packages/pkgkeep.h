/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "sha256.h"

/* The package files an AUR install built, kept by root in STATE_DIR/packages/aur/NAME/ with
 * their SHA-256 taken when they were copied out of the build (SHA256SUMS, "HEX  FILE" lines,
 * as sha256sum -c reads them), for the update transaction to install them again into each new
 * release's root. A folder is written as NAME.new and renamed to NAME once its install worked. */

#define PKGKEEP_SUMS "SHA256SUMS"

struct pkgkeep_file {
        char name[256]; /* a bare file name (pkgkeep_file_valid()) */
        char sha256[SHA256_HEX_SIZE];
};

/* Whether s may name a kept file: 1-255 of A-Z a-z 0-9 @ . _ + : -, not starting with '.' or
 * '-' (a single word to a shell). */
bool pkgkeep_file_valid(const char *s);
/* STATE_DIR/packages/aur/NAME followed by suffix ("" or ".new") into buf. 0, -EINVAL for a
 * name that is no package name, or -ENAMETOOLONG. */
int pkgkeep_dir(const char *state_dir, const char *name, const char *suffix, char *buf, size_t size);
/* Copies the regular file from (a symbolic link or anything else is refused: -ELOOP,
 * -EINVAL) to to, made new (-EEXIST when it is there), mode 0644; its SHA-256 into hex.
 * 0 or a negative errno (to is then removed). */
int pkgkeep_copy(const char *from, const char *to, char hex[SHA256_HEX_SIZE]);
/* Copies each of paths (NULL-terminated; bare names valid as above) into a fresh
 * STATE_DIR/packages/aur/NAME.new and writes its SHA256SUMS. 0, or a negative errno (-EINVAL:
 * a file name that is not valid) with nothing left behind. */
int pkgkeep_stage(const char *state_dir, const char *name, char *const *paths);
/* NAME.new becomes NAME, replacing it. 0 or a negative errno. */
int pkgkeep_commit(const char *state_dir, const char *name);
/* Removes the folder NAME (suffix "") or NAME.new, when there. 0 or a negative errno. */
int pkgkeep_remove(const char *state_dir, const char *name, const char *suffix);
/* The files kept for name, from its SHA256SUMS. 0 with *ret (free it) and *n set, -ENOENT
 * when none are kept, -EBADMSG for a line that is not "HEX  FILE", or another negative errno. */
int pkgkeep_read(const char *state_dir, const char *name, struct pkgkeep_file **ret, size_t *n);
