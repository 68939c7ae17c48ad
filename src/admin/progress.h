/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How a transaction of the admin library tells its caller what it did, one step at a time:
 * the library never prints; koompi-boot prints each event as a progress line, an agent may
 * send it on. */

enum progress_kind {
        PROGRESS_LEDGER_BAD, /* root marked bad in the ledger */
        PROGRESS_LEDGER_REARM, /* root re-armed in the ledger (it was bad) */
        PROGRESS_ENTRY_RENAMED, /* root's entry renamed from -> to */
};

struct progress_event {
        enum progress_kind kind;
        const char *root;
        const char *from; /* PROGRESS_ENTRY_RENAMED: the old and new file names */
        const char *to;
};

/* May be NULL where a function takes one: nobody is told. */
typedef void (*progress_fn)(const struct progress_event *e, void *userdata);
