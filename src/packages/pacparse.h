/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* pacman's output (LC_ALL=C) as the protocol's items: what koompi-pkg-pacman answers. */

/* "10.00 KiB", "1.50 MiB", "512 B" -> bytes. 0 or -EINVAL. */
int pacman_parse_size(const char *text, uint64_t *ret);
/* `pacman -Si NAME` or `-Qi NAME` (installed true): the first package's item with
 * installed_size. 0 with *ret, or -EBADMSG when no Name: and Version: are there. */
int pacman_parse_info(const char *text, bool installed, json_object **ret);
/* `pacman -Ss TEXT`: "repo/name version [installed]" lines, each followed by its indented
 * description. A new array (never NULL); lines that do not parse are skipped. */
json_object *pacman_parse_search(const char *text);
/* `pacman -Q`: "name version" lines, each installed. A new array. */
json_object *pacman_parse_query(const char *text);
