/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

/* What the kernel command line asks of the initramfs. Unknown words are ignored.
 * Unset strings are NULL; unset numbers are 0 with the matching has_ flag false. */
struct boot_cmdline {
        char *root; /* root= as given (UUID=..., LABEL=..., PARTUUID=..., /dev/...) */
        char *rootflags; /* rootflags= */
        char *rootfstype; /* rootfstype= */
        int rw; /* -1 unset, 0 ro, 1 rw (last one wins) */
        char *init; /* init= */
        char *luks_uuid; /* rd.luks.uuid= (a leading "luks-" is dropped) */
        char *luks_name; /* name from rd.luks.name=UUID=NAME */
        char *luks_key; /* rd.luks.key=[UUID=]PATH */
        char *luks_options; /* rd.luks.options=[UUID=]OPTS, raw */
        unsigned luks_tries;
        bool has_luks_tries; /* tries= in rd.luks.options */
        unsigned luks_timeout_ms;
        bool has_luks_timeout; /* timeout= in rd.luks.options */
        bool luks_discard; /* discard in rd.luks.options */
        unsigned timeout_ms;
        bool has_timeout; /* rd.timeout= */
        bool rd_break; /* rd.break (any value) */
        char *emergency; /* rd.emergency=reboot|poweroff|halt */
        bool quiet;
        bool debug; /* rd.debug or koompi.debug */
        char *snapshot; /* koompi.snapshot= */
        bool recovery; /* koompi.recovery */
        char *fault; /* koompi.fault=STEP[:DELAY_MS]: a power cut for the VM tests, raw */
};

/* Parses a command line (as in /proc/cmdline); quotes group words ("a b"). */
int cmdline_parse(const char *line, struct boot_cmdline *ret);
void cmdline_free(struct boot_cmdline *c);
