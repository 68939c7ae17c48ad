/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON of `koompi-boot --json status`, as the agent reads it. */
#include <errno.h>

#include "fuzzer.h"
#include "rootfacts.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *json = fuzz_string(data, size);
        struct root_facts f;

        if (rootfacts_parse(json, &f) < 0)
                return 0;
        FUZZ_CHECK(f.booted_root && f.next_root && f.status);
        FUZZ_CHECK(json_object_is_type(f.alerts, json_type_array));
        rootfacts_free(&f);
        return 0;
}
