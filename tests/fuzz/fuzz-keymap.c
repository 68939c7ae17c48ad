/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The binary keymap in the image (loadkeys -b), checked whole by koompi-init before one entry
 * goes to the kernel: nothing is called back for a file that is refused, and every entry
 * called back lies inside the tables the file announces. */
#include "fuzzer.h"
#include "keymap.h"

struct seen {
        unsigned entries;
        unsigned last_table;
};

static int entry(unsigned table, unsigned key, uint16_t value, void *userdata) {
        struct seen *s = userdata;
        FUZZ_CHECK(table < BKEYMAP_NR_TABLES && key < BKEYMAP_NR_KEYS);
        FUZZ_CHECK(s->entries == 0 || table >= s->last_table);
        s->last_table = table;
        s->entries++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct seen s = {};

        int r = keymap_parse((const char *)data, size, entry, &s);
        if (r < 0) {
                FUZZ_CHECK(s.entries == 0);
                return 0;
        }
        FUZZ_CHECK(r > 0 && r <= BKEYMAP_NR_TABLES);
        FUZZ_CHECK(s.entries == (unsigned)r * BKEYMAP_NR_KEYS);
        FUZZ_CHECK(size == BKEYMAP_MAGIC_LEN + BKEYMAP_NR_TABLES + (size_t)r * BKEYMAP_NR_KEYS * 2);
        return 0;
}
