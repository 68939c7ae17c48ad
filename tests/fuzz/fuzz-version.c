/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The "version" lines of entries on the ESP, compared as systemd-boot compares them to order
 * its menu: an order, so the entry that boots next does not depend on how the list was read.
 * The input is two versions separated by a NUL byte. */
#include <string.h>

#include "fuzzer.h"
#include "rootpolicy.h"
#include "util.h"

static int sign(int x) {
        return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *a = fuzz_string(data, size);
        size_t n = strlen(a);
        _cleanup_free_ char *b =
                fuzz_string(n < size ? data + n + 1 : data + size, n < size ? size - n - 1 : 0);

        FUZZ_CHECK(version_compare(a, a) == 0);
        FUZZ_CHECK(version_compare(b, b) == 0);
        FUZZ_CHECK(sign(version_compare(a, b)) == -sign(version_compare(b, a)));
        return 0;
}
