/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "refusal.h"

/* The release's keys and signature files. The secret key is read into memory that is wiped
 * after use, and never written anywhere but its own file. */

/* A new key pair: the secret key at secret_path (mode 0600, unencrypted, minisign's format),
 * the public key at public_path. An existing file is replaced only with force. 0, -EEXIST,
 * or the negative errno of writing (why says which file). */
int release_keygen(const char *secret_path, const char *public_path, bool force, struct update_refusal *why);
/* Signs the manifest at path into path.minisig with the secret key at secret_path, the
 * trusted comment comment (NULL: minisign's own "timestamp:NOW\tfile:NAME\thashed"). The
 * manifest is checked first: a manifest no machine would accept is not signed. 0, -ENOENT,
 * -EBADMSG (a bad manifest or key file), -EOPNOTSUPP (a password-protected key), or a
 * negative errno of writing. */
int release_sign(const char *path, const char *secret_path, const char *comment, int64_t now,
                 struct update_refusal *why);
