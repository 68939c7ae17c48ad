/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "manifest.h"
#include "minisign.h"
#include "util.h"

/* Writes text to path with mode, refusing an existing file unless force. */
static int write_new(const char *path, const char *text, unsigned mode, bool force,
                     struct update_refusal *why) {
        if (!force && access(path, F_OK) == 0)
                return update_refuse(why, -EEXIST, "%s exists: not replaced (--force replaces it)", path);
        int r = write_file_atomic(path, text, strlen(text), mode);
        return r < 0 ? update_refuse(why, r, "%s could not be written: %s", path, strerror(-r)) : 0;
}

int release_keygen(const char *secret_path, const char *public_path, bool force, struct update_refusal *why) {
        struct minisign_pubkey pub;
        struct minisign_seckey sec;
        _cleanup_free_ char *pubtext = NULL, *sectext = NULL;
        int r = minisign_keygen(&pub, &sec);
        if (r >= 0)
                r = minisign_seckey_format(&sec, &sectext);
        secure_wipe(&sec, sizeof sec);
        if (r >= 0)
                r = minisign_pubkey_format(&pub, &pubtext);
        if (r < 0)
                return update_refuse(why, r, "no key could be made: %s", strerror(-r));
        if (!force && access(public_path, F_OK) == 0)
                r = update_refuse(why, -EEXIST, "%s exists: not replaced (--force replaces it)", public_path);
        if (r >= 0)
                r = write_new(secret_path, sectext, 0600, force, why);
        secure_wipe(sectext, strlen(sectext));
        if (r >= 0)
                r = write_new(public_path, pubtext, 0644, true, why);
        return r;
}

static int load_secret(const char *path, struct minisign_seckey *ret, struct update_refusal *why) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file(path, &text, &len);
        if (r < 0)
                return update_refuse(why, r, "the secret key %s cannot be read: %s", path, strerror(-r));
        r = minisign_seckey_parse(text, ret);
        secure_wipe(text, len);
        if (r == -EOPNOTSUPP)
                return update_refuse(
                        why, r,
                        "the secret key %s has a password: koompi-release reads unencrypted keys only", path);
        return r < 0 ? update_refuse(why, r, "%s is not a minisign secret key", path) : 0;
}

static int check_manifest(const char *text, size_t len, const char *path, struct update_refusal *why) {
        struct manifest m;
        struct update_refusal inner;
        int r = manifest_parse(text, len, &m, &inner);
        if (r < 0)
                return update_refuse(why, r, "%s: %s: not signed", path, inner.reason);
        manifest_free(&m);
        return 0;
}

int release_sign(const char *path, const char *secret_path, const char *comment, int64_t now,
                 struct update_refusal *why) {
        _cleanup_free_ char *text = NULL, *sig = NULL;
        struct minisign_seckey sec;
        char sigpath[PATH_MAX], stock[PATH_MAX + 64];
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t len;
        int r = read_file(path, &text, &len);
        if (r < 0)
                return update_refuse(why, r, "%s cannot be read: %s", path, strerror(-r));
        r = check_manifest(text, len, path, why);
        if (r >= 0)
                r = load_secret(secret_path, &sec, why);
        if (r < 0)
                return r;
        snprintf(stock, sizeof stock, "timestamp:%" PRId64 "\tfile:%s\thashed", now, base);
        r = minisign_sign(&sec, text, len, comment ? comment : stock, &sig);
        secure_wipe(&sec, sizeof sec);
        if (r < 0)
                return update_refuse(why, r, "signing failed: %s",
                                     r == -EINVAL ? "the comment has a newline or is too long"
                                                  : strerror(-r));
        if (snprintf(sigpath, sizeof sigpath, "%s.minisig", path) >= (int)sizeof sigpath)
                return update_refuse(why, -ENAMETOOLONG, "%s: the name is too long", path);
        return write_new(sigpath, sig, 0644, true, why);
}
