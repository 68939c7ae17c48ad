/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* What the fuzz targets share: the input as a C string or as a file, and the check that stops
 * the fuzzer (abort(), so libFuzzer and the replay both report it) when an invariant fails. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                         \
        do {                                                                                     \
                if (!(cond)) {                                                                   \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                        abort();                                                                 \
                }                                                                                \
        } while (0)

/* The input NUL-terminated (stops at its first NUL, as a C string would). Never NULL. */
char *fuzz_string(const uint8_t *data, size_t size);
/* A directory of this process for the targets' files (in $TMPDIR, else /dev/shm, else /tmp),
 * made on first use and removed at exit. */
const char *fuzz_dir(void);
/* Writes the input to fuzz_dir()/name and puts that path in ret (PATH_MAX bytes). */
void fuzz_file(const char *name, const uint8_t *data, size_t size, char *ret);
