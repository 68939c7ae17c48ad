/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

/* The [packages] section of agent.conf: what the agent and the package workers share. The
 * agent reads it with the rest of its settings (agentconf.c); a worker reads this section
 * alone with pkgconf_load(). */
struct pkg_config {
        bool flatpak; /* the sources switched on */
        bool aur; /* off unless set: for admins and teachers only */
        bool appimage;
        char *order; /* the sources in the order they are tried */
        char *aur_url; /* the AUR's base URL: its RPC is <aur_url>/rpc/?v=5... */
        char *user; /* network input is read, and makepkg runs, as this user */
        char *workers_dir; /* where koompi-pkg-SOURCE live */
        char *pacman_conf; /* the pinned repositories' pacman.conf, inside the root */
        char *pacman_root; /* the root whose pacman database search, info and list read */
        char *protected_names; /* fnmatch(3) patterns a removal asks about, space separated */
        char *appimage_dir; /* where system AppImages are kept */
        char *desktop_dir; /* their .desktop entries */
        char *icon_dir; /* their icons */
        unsigned timeout_ms; /* a worker running longer is killed */
};

/* Every key's default. */
void pkgconf_defaults(struct pkg_config *c);
void pkgconf_free(struct pkg_config *c);
/* Sets one key of [packages] (its name without the section) from text: 0, -ENOENT for a key
 * this section does not have, or -EINVAL for a value that cannot be used (the old one kept). */
int pkgconf_set(struct pkg_config *c, const char *key, const char *value);
/* Whether [packages] has key (compared without case). */
bool pkgconf_has_key(const char *key);
/* Reads [packages] of the INI file path over the defaults; a bad value keeps the default. 0,
 * -ENOENT when the file is missing, or another negative errno. */
int pkgconf_load(struct pkg_config *c, const char *path);
/* As pkgconf_load(), but a value of one of the keys in strict (NULL-terminated) that cannot be
 * used is an error, for a reader that must not go on with a default its admin did not mean:
 * -EINVAL with *ret_bad_key (may be NULL) the first such key's name; every key is read all the
 * same. Otherwise as pkgconf_load(). */
int pkgconf_load_strict(struct pkg_config *c, const char *path, const char *const *strict,
                        const char **ret_bad_key);
