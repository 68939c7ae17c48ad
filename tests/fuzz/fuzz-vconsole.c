/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/vconsole.conf (shell syntax), read by koompi-mkinitramfs for the keymap's name. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "fuzzer.h"
#include "keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[PATH_MAX], name[256]; /* as koompi-mkinitramfs asks */

        fuzz_file("vconsole.conf", data, size, path);
        int r = keymap_from_vconsole(path, name, sizeof name);
        if (r < 0) {
                FUZZ_CHECK(r == -ENOENT || r == -ENAMETOOLONG || r == -ENOMEM);
                return 0;
        }
        FUZZ_CHECK(*name && strlen(name) < sizeof name);
        return 0;
}
