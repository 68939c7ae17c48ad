/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The loader's EFI variables (UTF-16LE strings after 4 bytes of attributes, as efivarfs gives
 * them): anything that runs before the OS can set them. As koompi-init reads
 * LoaderBootCountPath: the entry file it names must stay a plain name under the ESP's pending
 * directory; and as koompi-boot uses LoaderEntryDefault: a pattern for the next boot. */
#include <errno.h>
#include <string.h>

#include "efi.h"
#include "entry.h"
#include "fuzzer.h"
#include "rootpolicy.h"
#include "util.h"

/* What efi_loader_get_string() does with the bytes of the variable's file. */
static int get_string(const uint8_t *data, size_t size, char *ret, size_t ret_size) {
        if (size < 4)
                return -1;
        efi_utf16le_to_ascii(data + 4, size - 4, ret, ret_size);
        FUZZ_CHECK(strlen(ret) < ret_size);
        for (const char *p = ret; *p; p++)
                FUZZ_CHECK((unsigned char)*p < 0x80);
        return 0;
}

static void boot_count_path(const char *path) {
        const char *base = strrchr(path, '\\');
        char file[512], id[256];
        struct entry_name e;

        snprintf(file, sizeof file, "%s", base ? base + 1 : path);
        if (entry_name_parse(file, ".conf", &e) < 0 || !e.has_counter)
                return;
        if (entry_id_from_filename(file, id, sizeof id) < 0)
                return;
        FUZZ_CHECK(!strchr(id, '/') && !streq(id, ".") && !streq(id, ".."));
}

static void entry_default(const char *pattern) {
        static const struct bootnext_entry entries[] = {
                { .id = "koompi-root-current.conf",
                  .file = "koompi-root-current+2-1.conf",
                  .counted = true,
                  .left = 2,
                  .done = 1 },
                { .id = "koompi-root-2024-12-01.conf",
                  .file = "koompi-root-2024-12-01.conf",
                  .version = "1" },
                { .id = "debian.conf", .file = "debian.conf", .sort_key = "debian", .version = "6.1" },
        };
        int k = bootnext_choose(*pattern ? pattern : NULL, entries, ELEMENTSOF(entries));
        FUZZ_CHECK(k == -ENOENT || (k >= 0 && (size_t)k < ELEMENTSOF(entries)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[512], pattern[256];

        if (get_string(data, size, path, sizeof path) < 0)
                return 0;
        boot_count_path(path);
        FUZZ_CHECK(get_string(data, size, pattern, sizeof pattern) == 0);
        entry_default(pattern);
        return 0;
}
