/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

/* Writes prompt to fd and reads one line without echo into buf (NUL-terminated, no newline).
 * Returns the length, -ECANCELED on end of input, -ETIMEDOUT after timeout_ms (0 = none). */
int prompt_secret(int fd, const char *prompt, char *buf, size_t size, unsigned timeout_ms);
