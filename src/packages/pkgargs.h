/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* The arguments of a package request, checked before anything reads or runs them. */
#define PKG_NAME_MAX 128
#define PKG_URL_MAX 2048
#define PKG_SEARCH_MAX 100
#define PKG_NAMES_MAX 32 /* names in one install or remove */

/* What an install argument is: an app's name (pacman, Flatpak, AUR: "firefox",
 * "org.mozilla.firefox"), an AppImage's absolute path, or its https:// or http:// URL. */
enum pkg_target {
        PKG_TARGET_NAME,
        PKG_TARGET_FILE,
        PKG_TARGET_URL,
};

/* A package or app name: 1 to PKG_NAME_MAX characters of a-z A-Z 0-9 and @ . _ + -, starting
 * with a letter or digit (what pacman, the AUR and Flatpak IDs use; nothing a shell, a path or
 * an option could read differently). */
bool pkg_name_valid(const char *s);
/* Search text: 1 to PKG_SEARCH_MAX printable ASCII characters, no leading '-'. */
bool pkg_search_valid(const char *s);
/* What arg is. 0 with *ret written, or -EINVAL: not a valid name, not an absolute path of
 * printable characters without "/../" ending in .AppImage (any case), not a URL of printable
 * characters without spaces, at most PKG_URL_MAX long. */
int pkg_target_parse(const char *arg, enum pkg_target *ret);
