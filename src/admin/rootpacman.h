/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

/* Where a root keeps pacman's local database: inside the read-only root, beside the files it
 * describes. pacman's default, /var/lib/pacman, is hidden on a booted machine by the @var
 * subvolume mounted over /var, so `pacman -Q` there would read @var's copy (shared by every
 * root, and no root's own) rather than the root's. A release's pinned pacman.conf says
 * DBPath = /ROOT_PACMAN_DBPATH/; the image's /etc/pacman.conf must say the same. */
#define ROOT_PACMAN_DBPATH "usr/lib/pacman/db"
/* Where roots made before that kept it (pacman's default). */
#define ROOT_PACMAN_DBPATH_OLD "var/lib/pacman"

/* The database folder of the root at rootdir ("/" for the running one) into buf: rootdir's
 * ROOT_PACMAN_DBPATH when it holds a local database ("local/"), else its ROOT_PACMAN_DBPATH_OLD.
 * 0 or -ENAMETOOLONG; buf is written only on success. */
int root_pacman_dbpath(const char *rootdir, char *buf, size_t size);

/* The shell command that runs `pacman ARGS` on a new root's own database (koompi-boot update
 * --run): it makes ROOT_PACMAN_DBPATH, moves a database left at ROOT_PACMAN_DBPATH_OLD there
 * once when the root has none yet, and gives pacman --dbpath, so a configuration naming
 * pacman's default place (the image's /etc/pacman.conf) still reads the root's own. Free it. */
char *root_pacman_command(const char *args);
