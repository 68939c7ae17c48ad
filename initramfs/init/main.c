/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-init: PID 1 of the initramfs. */
#include <stdio.h>
#include <stdlib.h>

#include "init.h"
#include "log.h"
#include "util.h"

int main(int argc, char **argv) {
        static struct init_ctx ctx = { .ops = &init_real_ops, .keyslot = -1 };
        /* The kernel passes unknown command-line words to init as environment variables;
         * nothing here reads the environment, and the libraries get a clean one. */
        clearenv();
        setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
        /* No udev in the initramfs: libdevmapper must create its nodes itself. */
        setenv("DM_DISABLE_UDEV", "1", 1);
        log_init("koompi-init");
        if (getpid() != 1)
                log_warning("not running as PID 1; this is the initramfs init");
        timeline_mark(&ctx, "start");
        config_init_defaults(&ctx.config);
        init_run(&ctx);
        /* init_run returns only when a failure action returned (never, in a real boot). */
        return 1;
}
