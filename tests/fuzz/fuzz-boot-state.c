/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /run/koompi/boot.json, koompi-init's record of the boot, read by koompi-boot. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bootstate.h"
#include "fuzzer.h"

static void stage(const char *name, uint64_t ms, void *userdata) {
        FUZZ_CHECK(name);
        ++*(unsigned *)userdata;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[PATH_MAX];
        struct boot_state s;
        unsigned stages = 0;

        fuzz_file("boot.json", data, size, path);
        int r = boot_state_load(path, &s);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG || r == -ENOMEM);
                return 0;
        }
        FUZZ_CHECK(strlen(s.snapshot) < sizeof s.snapshot && strlen(s.entry) < sizeof s.entry);
        FUZZ_CHECK(s.timeline);
        boot_state_timeline(&s, stage, &stages);
        boot_state_free(&s);
        return 0;
}
