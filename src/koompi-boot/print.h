/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

/* What the verbs print in more than one place. */

/* A JSON string on stdout; bytes that are not UTF-8 become U+FFFD. */
void json_str(const char *s);

/* One ledger record as a JSON object on stdout. */
void json_boot(const struct ledger_boot *b);
void json_alert(const struct ledger_alert *a);

/* "2024-12-01 08:00" in local time. */
void format_time(uint64_t t, char *buf, size_t size);
