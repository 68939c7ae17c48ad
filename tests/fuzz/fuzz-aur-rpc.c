/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An answer of the AUR's RPC, as koompi-pkg-aur reads it: whatever the server sends, each
 * result handed on has a valid name and base and only checked fields. */
#include <string.h>

#include "fuzzer.h"
#include "rpc.h"
#include "util.h"
#include "workerline.h"

static void check_result(json_object *result) {
        json_object *item = aur_item(result), *info = aur_info(result), *name;
        FUZZ_CHECK(!item == !aur_result_valid(result));
        FUZZ_CHECK(!info == !item);
        if (!item)
                return;
        FUZZ_CHECK(json_object_object_get_ex(item, "name", &name));
        FUZZ_CHECK(aur_valid_name(json_object_get_string(name)));
        FUZZ_CHECK(aur_valid_name(aur_package_base(result)));
        FUZZ_CHECK(json_object_object_get_ex(info, "facts", NULL));
        json_object_put(item);
        json_object_put(info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char why[WORKER_WHY_MAX] = "";
        json_object *results = NULL;
        if (aur_parse_answer((const char *)data, size, &results, why) < 0) {
                FUZZ_CHECK(!results && why[0] && strlen(why) < sizeof why);
                return 0;
        }
        FUZZ_CHECK(json_object_is_type(results, json_type_array));
        for (size_t i = 0; i < json_object_array_length(results); i++)
                check_result(json_object_array_get_idx(results, i));
        json_object_put(results);
        return 0;
}
