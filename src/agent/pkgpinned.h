/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

#include "manifest.h"
#include "pkgout.h"
#include "pkgreq.h"

/* koompi install of repository packages from the release the booted root was made from, the
 * way update apply takes a release: the manifest the root keeps (apply.h, APPLY_KEPT_DIR)
 * verified again with the release keys; the files pacman needs resolved by pacman on the
 * root's own, read-only database; each of them listed in that manifest; downloaded by the
 * update's child without root ([update] user, mirrors, max_rate) into STATE_DIR/update/install;
 * checked by root against the manifest; installed in a new root by pacman -S --needed (never
 * -y) reading that checked copy alone. The folder goes afterwards, whatever happened. */
struct pkgpinned {
        struct manifest m;
        char *text; /* the kept manifest, as verified */
};

/* The booted root's kept manifest ([packages] pacman_root's), verified. 0 with *ret
 * (pkgpinned_free() it); -ENOENT when the root keeps none (a root not made by update apply:
 * the packages come from [packages] pacman_conf then); or the negative errno of the refusal
 * (-EKEYREJECTED, -ENOKEY, -EBADMSG, -EPROTONOSUPPORT) or of reading it, error saying why. */
int pkgpinned_load(const struct pkgjob *j, struct pkgpinned *ret, char *error, size_t size);
void pkgpinned_free(struct pkgpinned *p);

/* Where a repository package of this root comes from and why, for the plan, into buf. */
void pkgpinned_describe(const struct pkgjob *j, char *buf, size_t size);

/* Installs names from p's release in a new root (koompi-boot update --run), the root booted
 * now unchanged. 0, or a negative errno with error saying what failed, nothing changed then:
 * -ENOENT a name is not in the release's repository; -EPERM a file pacman needs is not listed
 * in its manifest; -ENOSPC no room for the download; -EILSEQ a file does not match the
 * manifest; -EIO the mirrors could not be read to the end; -ECHILD pacman failed in the new
 * root (deleted); or another negative errno. p's manifest keeps only the files fetched. */
int pkgpinned_install(const struct pkgjob *j, struct pkgjob_out *o, struct pkgpinned *p, char *const *names,
                      char *error, size_t size);
