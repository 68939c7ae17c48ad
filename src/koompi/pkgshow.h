/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

/* The package answers of the agent in words. */
/* Search and List: one line an app, then the sources that could not be asked. */
void pkgshow_items(FILE *f, json_object *answer);
/* A plan (Info, and each app of Install and Remove before it is done): where it comes from and
 * why, its download size, whether it needs a restart, its risk and each reason. */
void pkgshow_plan(FILE *f, json_object *plan, bool removal);
