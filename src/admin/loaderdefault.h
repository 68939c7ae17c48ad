/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One root's entry file as it will be on the ESP (kept or written by entries sync). */
struct default_candidate {
        const char *file; /* "koompi-root-a+3.conf", "school.conf", "koompi-root-b.efi" */
        bool uki; /* in EFI/Linux: suffix ".efi", else ".conf" */
        uint64_t generation; /* its root's: newer roots have larger values */
};

/* loader.conf's "default" for these entries. The entry that should boot next is the first of
 * them (not spent before spent, then the newest root). When it is koompi-boot's ("koompi-<ID>"),
 * pattern, so that systemd-boot's own order keeps choosing and falls back past a spent entry.
 * When it was named by hand, no koompi glob matches it and the pattern would boot an older root:
 * its exact ID ("school.conf", as systemd-boot matches it), the only way systemd-boot prefers an
 * entry without koompi's sort key. An ID a glob would read otherwise (holding '*', '?', '[', '\'
 * or white space) is not pinned: pattern stays. Files whose names do not parse are skipped.
 * Writes the value to ret. 0, or -ENOBUFS when size is too small. */
int loader_default_choose(const struct default_candidate *c, size_t n, const char *pattern, char *ret,
                          size_t size);
