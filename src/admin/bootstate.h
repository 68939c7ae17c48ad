/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* /run/koompi/boot.json, as koompi-init writes it. Strings are "" when absent. */
struct boot_state {
        char snapshot[256];
        char entry[256];
        char luks_device[256];
        char root_device[256];
        char init[256];
        long keyslot;
        bool has_keyslot;
        uint64_t prompt_ms;
        bool counting;
        bool fallback;
        uint64_t ledger_seq; /* 0 when absent */
        char *timeline; /* the raw JSON array, "[]" when absent */
};
/* 0, or negative errno: -ENOENT missing, -EBADMSG not the JSON expected, -ENOMEM. *ret is
 * cleared first (callers show its empty strings), filled only on success. */
int boot_state_load(const char *path, struct boot_state *ret);
void boot_state_free(struct boot_state *s);
/* Calls cb for each {"stage":..,"ms":..} of the timeline. */
void boot_state_timeline(const struct boot_state *s, void (*cb)(const char *stage, uint64_t ms, void *ud),
                         void *ud);
