/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot.conf koompi-mkinitramfs writes into the image from the host's (with the modules of
 * --module added), read back as koompi-init reads it: a host file that reads must give an
 * image file that reads, with the host's settings and the added modules. */
#include <errno.h>
#include <limits.h>

#include "config.h"
#include "fuzzer.h"
#include "mkinitramfs.h"
#include "strv.h"
#include "util.h"

static bool strv_equal(char *const *a, char *const *b) {
        for (; *a && *b; a++, b++)
                if (!streq(*a, *b))
                        return false;
        return !*a && !*b;
}

static void check_same(const struct koompi_config *host, const struct koompi_config *image) {
        FUZZ_CHECK(streq(host->snapshot, image->snapshot) &&
                   streq(host->failure_action, image->failure_action));
        FUZZ_CHECK(streq(host->luks_uuid, image->luks_uuid) && streq(host->luks_key, image->luks_key));
        FUZZ_CHECK(streq(host->password_hash, image->password_hash) && streq(host->auth, image->auth));
        FUZZ_CHECK(host->timeout_ms == image->timeout_ms && host->luks_tries == image->luks_tries);
        FUZZ_CHECK(strv_equal(host->modules_hardware, image->modules_hardware));
        FUZZ_CHECK(strv_equal(host->include, image->include));
}

/* The image's modules: the host's, then the added ones it lacks. */
static void check_modules(const struct koompi_config *host, char *const *extra,
                          const struct koompi_config *image) {
        char **want = NULL;
        for (char *const *l = host->modules_load; *l; l++)
                FUZZ_CHECK(strv_extend(&want, *l) == 0);
        for (char *const *e = extra; *e; e++)
                if (!strv_contains(want, *e))
                        FUZZ_CHECK(strv_extend(&want, *e) == 0);
        FUZZ_CHECK(strv_equal(want, image->modules_load));
        strv_free(want);
}

/* What koompi-mkinitramfs does: the image's text from the host's settings, refused when a value
 * cannot be written or does not read back; then as koompi-init reads it. */
static void check_image(const struct koompi_config *host, const uint8_t *data, size_t size,
                        char *const *extra) {
        _cleanup_free_ char *out = NULL, *error = NULL;
        struct koompi_config image;
        char path[PATH_MAX];
        size_t out_len;

        if (mki_image_config(host, (const char *)data, size, extra, &out, &out_len, NULL) < 0 || !out)
                return;
        fuzz_file("image.conf", (const uint8_t *)out, out_len, path);
        /* A text iniparser would read otherwise (a line grown over its limit) is refused, naming
         * the line; what passes must read as the host's settings plus the modules. */
        int r = mki_image_config_check(host, extra, path, out, out_len, &error);
        if (r == -EBADMSG) {
                FUZZ_CHECK(error && *error);
                return;
        }
        FUZZ_CHECK(r == 0);
        config_init_defaults(&image);
        FUZZ_CHECK(config_load(&image, path, NULL) >= 0);
        check_same(host, &image);
        check_modules(host, extra, &image);
        config_free(&image);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char *const extra[] = { (char *)"virtio_blk", (char *)"nvme", NULL };
        struct koompi_config host;
        char path[PATH_MAX];

        fuzz_file("host.conf", data, size, path);
        config_init_defaults(&host);
        if (config_load(&host, path, NULL) >= 0)
                check_image(&host, data, size, extra);
        config_free(&host);
        return 0;
}
