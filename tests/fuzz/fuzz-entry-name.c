/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Entry file names on the ESP (anyone with the disk can name a file), with the boot counter's
 * transitions: every name a transition gives must read back as the same entry. */
#include <errno.h>
#include <stdio.h>

#include "entry.h"
#include "fuzzer.h"
#include "util.h"

static bool name_equal(const struct entry_name *a, const struct entry_name *b) {
        return streq(a->stem, b->stem) && streq(a->suffix, b->suffix) && a->has_counter == b->has_counter &&
                a->left == b->left && a->done == b->done;
}

/* A stem that reads as a counted name itself ("a+1" of "a+1+2.conf") gives a blessed name
 * ("a+1.conf") that reads as counted: systemd-boot and systemd-bless-boot read it so too. */
static bool stem_looks_counted(const struct entry_name *e) {
        char file[ENTRY_NAME_MAX + 32];
        struct entry_name s;

        snprintf(file, sizeof file, "%s%s", e->stem, e->suffix);
        return entry_name_parse(file, e->suffix, &s) == 0 && s.has_counter;
}

/* The name of e, read back, is e. */
static void check_reads_back(const struct entry_name *e) {
        char file[ENTRY_NAME_MAX + 32], id[ENTRY_NAME_MAX + 1];
        struct entry_name again;

        if (stem_looks_counted(e) || entry_name_format(e, file, sizeof file) < 0)
                return;
        int r = entry_name_parse(file, e->suffix, &again);
        if (r == -ENAMETOOLONG)
                return; /* a counter made the name longer than a FAT name */
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(name_equal(e, &again));
        FUZZ_CHECK(entry_name_id(e, id, sizeof id) == 0);
        FUZZ_CHECK(entry_id_equal(file, id));
}

static void check_transitions(const struct entry_name *e) {
        struct entry_name t = *e;

        check_reads_back(e);
        if (entry_counter_bump(&t) == 0)
                check_reads_back(&t);
        t = *e;
        if (entry_counter_give_back(&t) == 0)
                check_reads_back(&t);
        t = *e;
        entry_counter_mark_bad(&t);
        check_reads_back(&t);
        t = *e;
        entry_counter_bless(&t);
        check_reads_back(&t);
        t = *e;
        if (entry_counter_set(&t, 3) == 0)
                check_reads_back(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *file = fuzz_string(data, size);
        char id[ENTRY_NAME_MAX + 1];
        struct entry_name e;

        (void)entry_id_from_filename(file, id, sizeof id);
        (void)entry_id_equal(file, "koompi-root-current.conf");
        if (entry_name_parse(file, ".conf", &e) == 0) {
                check_transitions(&e);
                (void)entry_name_koompi_id(&e);
        }
        if (entry_name_parse(file, ".efi", &e) == 0)
                check_transitions(&e);
        return 0;
}
