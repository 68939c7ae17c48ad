/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/koompi/boot.conf, read through iniparser as koompi-init and koompi-boot read it. */
#include <errno.h>
#include <limits.h>

#include "config.h"
#include "fuzzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct koompi_config c;
        char path[PATH_MAX], *error = NULL;

        fuzz_file("boot.conf", data, size, path);
        config_init_defaults(&c);
        int r = config_load(&c, path, &error);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        FUZZ_CHECK((r == -EINVAL) == (error != NULL));
        free(error);
        config_free(&c);
        return 0;
}
