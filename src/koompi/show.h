/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stdio.h>

/* koompi's text views of the agent's JSON answers. */
void show_status(FILE *f, json_object *status);
/* The health object: its state, its reason and each check. */
void show_health(FILE *f, json_object *health);
/* The alerts array. */
void show_alerts(FILE *f, json_object *alerts);
/* The string member key of o, or fallback. */
const char *show_str(json_object *o, const char *key, const char *fallback);
