/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A .desktop entry (the freedesktop Desktop Entry format), read and rewritten as text. */
#define DESKTOP_MAX (64 * 1024)

/* The value of key in the [Desktop Entry] group (a plain key: "Name", not "Name[km]"), copied
 * (free it); NULL when it is not there. */
char *desktop_get(const char *text, const char *key);
/* text with every Exec= (in each group) running exec instead of its program, its arguments
 * kept; TryExec= set to exec; Icon= set to icon when icon is not NULL. A new string in *ret
 * (free it). 0, or -EBADMSG when text has no [Desktop Entry] group with an Exec= key, or is
 * longer than DESKTOP_MAX. */
int desktop_rewrite(const char *text, const char *exec, const char *icon, char **ret);
