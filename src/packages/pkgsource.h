/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Where an app comes from, and which source a request takes. */
enum pkg_source {
        PKG_PACMAN, /* the official repositories, through a new root */
        PKG_FLATPAK, /* the system installation, at once */
        PKG_AUR, /* built from a PKGBUILD, through a new root; off by default */
        PKG_APPIMAGE, /* a file integrated into the desktop, at once */
        PKG_SOURCE_COUNT,
        PKG_SOURCE_ANY = PKG_SOURCE_COUNT, /* no --from: the first in the order that has it */
};
#define PKG_SOURCE_BIT(s) (1u << (s))

/* "pacman", "flatpak", "aur", "appimage"; "any" for PKG_SOURCE_ANY. */
const char *pkg_source_name(enum pkg_source s);
/* A --from value: one of the names above, or "" for any. 0, or -EINVAL for anything else. */
int pkg_source_parse(const char *s, enum pkg_source *ret);
/* Whether an install from s lands in a new root, there after the next boot. */
bool pkg_source_needs_restart(enum pkg_source s);

/* The order sources are tried in: the names of a space or comma separated list, each once
 * (e.g. "pacman flatpak aur appimage"). Writes the order into ret (PKG_SOURCE_COUNT entries at
 * most) and its length into *ret_n. 0, or -EINVAL for an unknown or repeated name or an empty
 * list. */
int pkg_order_parse(const char *s, enum pkg_source ret[PKG_SOURCE_COUNT], size_t *ret_n);

/* What a request may use and what was found. */
struct pkg_choice_input {
        const enum pkg_source *order; /* the configured order */
        size_t n_order;
        unsigned enabled; /* PKG_SOURCE_BIT()s switched on in the settings */
        unsigned allowed; /* PKG_SOURCE_BIT()s the caller's role may use */
        unsigned found; /* PKG_SOURCE_BIT()s that have the app */
        unsigned failed; /* PKG_SOURCE_BIT()s that could not be asked (their errors are said apart) */
        enum pkg_source from; /* --from, or PKG_SOURCE_ANY */
};

/* The source an app comes from, and why, in words (e.g. "pacman: the first source in the
 * order pacman, flatpak, aur, appimage that has it"). Returns 0 with *ret and why written;
 * -EPERM when --from names a source that is off or not for this caller (why says which);
 * -EIO when --from names a source that could not be asked, or none of the usable sources
 * could be (why says so, not that they lack it); -ENOENT when no usable source has it (why
 * lists what was searched). */
int pkg_choose(const struct pkg_choice_input *in, enum pkg_source *ret, char *why, size_t why_size);
