/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* The release a root was made from: one line, the version, in ROOT_RELEASE_FILE inside the root.
 * `koompi-boot update --release VERSION` writes it into the new root before the root is sealed;
 * an update without --release removes the copy the new root inherited, since the new root is no
 * longer that release. A root without the file was made from no known release. */
#define ROOT_RELEASE_FILE "etc/koompi/release"
#define ROOT_RELEASE_MAX 64

/* Whether s can be a release version: 1 to 63 of A-Z a-z 0-9 . _ + -, not starting with '.'. */
bool root_release_valid(const char *s);
/* The release of the root mounted at rootdir into buf (ROOT_RELEASE_MAX bytes). 0; -ENOENT when
 * the root names none; -EBADMSG when the file holds no valid version; another negative errno
 * when it cannot be read. buf is written only on success. */
int root_release_read(const char *rootdir, char *buf, size_t size);
/* Writes version as the release of the writable root at rootdir (atomically), or removes the
 * file when version is NULL. 0, -EINVAL for an invalid version, or another negative errno. */
int root_release_write(const char *rootdir, const char *version);
