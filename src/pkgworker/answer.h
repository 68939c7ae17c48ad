/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

/* A worker's answer on stdout, in the protocol of koompi-agent(8): progress lines, then one
 * result or error line. */
void answer_progress(unsigned done, unsigned total, const char *text);
/* {"result": value} (value taken). Returns 0, the exit status. */
int answer_result(json_object *value);
/* {"error": the sentence, "errno": -r}. Returns 1, the exit status. */
__attribute__((format(printf, 2, 3))) int answer_error(int r, const char *fmt, ...);
