/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stdlib.h>

/* String vectors: NULL-terminated arrays of strings the vector owns. A NULL vector is an empty
 * one everywhere, so a vector can start as NULL and grow by appending. */

/* Inline: freeing is all most users need (the configuration in koompi-init). */
static inline void strv_free(char **v) {
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}
/* How many strings; 0 for NULL. */
unsigned strv_length(char *const *v);
/* Whether v holds a string equal to s. */
bool strv_contains(char *const *v, const char *s);
/* Appends s, which the vector takes over (freed on failure too). 0 or -ENOMEM (*v unchanged). */
int strv_consume(char ***v, char *s);
/* Appends a copy of s. 0 or -ENOMEM (*v unchanged). */
int strv_extend(char ***v, const char *s);
/* The words of s split at spaces, tabs and commas (NULL: none), as a vector that is never NULL.
 * Aborts when out of memory, as the configuration's defaults cannot do without it. */
char **strv_split(const char *s);
