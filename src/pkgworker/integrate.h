/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

#include "pkgconf.h"

/* An AppImage integrated into the desktop, not unpacked: the file kept as
 * APPIMAGE_DIR/NAME.AppImage (mode 0755), its .desktop entry (Exec= and Icon= rewritten to the
 * kept file and icon) as DESKTOP_DIR/koompi-appimage-NAME.desktop, its icon as
 * ICON_DIR/koompi-appimage-NAME.png (or .svg). The payload is read by unsquashfs running as
 * [packages] user, never by running the AppImage. */

/* NAME for a file or URL: its last path part without ".AppImage", each character outside
 * a-z A-Z 0-9 . _ + - as '-'. 0, or -EINVAL when that is not a valid name. */
int integrate_name(const char *target, char *buf, size_t size);
/* The item of an installed AppImage (search, list, info), or NULL when NAME is not installed. */
json_object *integrate_item(const struct pkg_config *c, const char *name);
/* The installed AppImages whose name or summary holds text (every one for NULL), as items. */
json_object *integrate_list(const struct pkg_config *c, const char *text);
/* Installs the AppImage at path (a file readable by everyone) or a URL (fetched as [packages]
 * user). 0 with *ret_name, or a negative errno with error saying what failed; nothing is left
 * behind then. */
int integrate_install(const struct pkg_config *c, const char *target, char *ret_name, size_t name_size,
                      char *error, size_t size);
/* Undoes integrate_install() of NAME. 0, -ENOENT when it is not installed, or another negative
 * errno (error says which file could not be removed). */
int integrate_remove(const struct pkg_config *c, const char *name, char *error, size_t size);
