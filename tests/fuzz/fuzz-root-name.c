/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshot and root names, as an admin types them (koompi-boot snapshot NAME, rollback NAME),
 * as Btrfs lists them and as the recovery menu takes them: the entry of a root names that root
 * back, and every name koompi-boot accepts can be typed at the recovery menu. */
#include <errno.h>
#include <stdio.h>

#include "entry.h"
#include "fuzzer.h"
#include "recovery.h"
#include "rootpolicy.h"
#include "util.h"

static void check_entry_of(const char *root, unsigned tries) {
        char file[ENTRY_NAME_MAX + 1], id[ENTRY_ROOT_ID_MAX + 1];
        struct entry_name e;

        if (entry_filename_for_root(root, tries, file, sizeof file) < 0)
                return;
        FUZZ_CHECK(entry_id_from_root(root, id, sizeof id) == 0);
        FUZZ_CHECK(entry_name_parse(file, ".conf", &e) == 0);
        FUZZ_CHECK(e.has_counter == (tries > 0) && e.left == tries && e.done == 0);
        FUZZ_CHECK(streq_ptr(entry_name_koompi_id(&e), id));
        FUZZ_CHECK(root_name_same_id(root, root));
}

static void check_typable(const char *name) {
        char line[RECOVERY_NAME_MAX + 16];
        struct recovery_command c;

        snprintf(line, sizeof line, "boot %s", name);
        FUZZ_CHECK(recovery_parse(line, &c) == 0);
        FUZZ_CHECK(c.item == RECOVERY_ITEM_BOOT && streq(c.arg, name));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *name = fuzz_string(data, size);
        char buf[ROOT_NAME_MAX + 1];

        check_entry_of(name, 0);
        check_entry_of(name, 3);
        if (root_name_check(name) == 0)
                check_typable(name);
        if (root_name_from_arg(name, buf, sizeof buf) == 0) {
                FUZZ_CHECK(root_name_check(buf) == 0);
                check_typable(buf);
        }
        return 0;
}
