/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "call.h"

/* One run of koompi: its options, its verb's arguments, the bus. */
struct invocation {
        bool json;
        bool yes; /* --yes: a risky install or remove goes ahead without asking */
        const char *from; /* --from SOURCE, "" when not given */
        uint64_t timeout_us; /* 0: the verb's default */
        char **args; /* after the verb */
        int n_args;
        struct koompi_bus bus;
};
