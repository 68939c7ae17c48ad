/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/koompi/boot.conf, read through iniparser as koompi-init and koompi-boot read it; the
 * settings written back as text (what koompi-mkinitramfs puts in the image) read as the same. */
#include <errno.h>
#include <limits.h>

#include "config.h"
#include "fuzzer.h"
#include "util.h"

static void check_format(const struct koompi_config *c) {
        _cleanup_free_ char *text = NULL;
        struct koompi_config again;
        char path[PATH_MAX];
        size_t len;

        if (config_format(c, &text, &len, NULL) < 0)
                return; /* a value that cannot be written: refused, not written wrong */
        fuzz_file("formatted.conf", (const uint8_t *)text, len, path);
        config_init_defaults(&again);
        FUZZ_CHECK(config_load(&again, path, NULL) == 0);
        FUZZ_CHECK(!config_diff(c, &again));
        config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct koompi_config c;
        char path[PATH_MAX], *error = NULL;

        fuzz_file("boot.conf", data, size, path);
        config_init_defaults(&c);
        int r = config_load(&c, path, &error);
        FUZZ_CHECK(r >= 0 || r == -EINVAL || r == -ENOMEM);
        FUZZ_CHECK(r != -EINVAL || error);
        free(error);
        if (r >= 0)
                check_format(&c);
        config_free(&c);
        return 0;
}
