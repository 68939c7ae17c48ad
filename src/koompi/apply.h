/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "call.h"

/* koompi update apply: UpdateApply called, its Progress signals drawn on err as they come (a bar
 * on a terminal, a line per file otherwise), then the outcome on stdout, as text or as the
 * agent's JSON. Returns the exit code (see update_apply_code()). */
int update_apply(struct koompi_bus *b, bool json, FILE *err);
/* The exit code of an UpdateApply answer: 0 applied or up to date; 6 a manifest or a file
 * refused, or the update's command failed (its root deleted); 3 not taken now, or another
 * change of the roots under way; 4 no room; 2 state missing; 5 anything else. */
int update_apply_code(json_object *answer);
/* The answer in words: the new root and that it boots next time, or what went wrong and what
 * to do. */
void show_update_apply(FILE *f, json_object *answer);
