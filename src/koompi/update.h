/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdio.h>

/* The answer of UpdateCheck in words a teacher understands: this machine's release, the one
 * available, its tier, the bucket and the percent, and whether it is taken now and why. */
void show_update_check(FILE *f, json_object *check);
/* The exit code of an UpdateCheck answer: 0 when a release was accepted (taken now or not),
 * KOOMPI_EXIT_REFUSED when the manifest was refused, KOOMPI_EXIT_FAILED when no answer could be
 * had (no mirror answered, no mirror set). */
int update_check_code(json_object *check);
