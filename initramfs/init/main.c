/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-init: PID 1 of the initramfs. */
#include <stdio.h>
#include <stdlib.h>

#include "init.h"
#include "log.h"
#include "modules.h"
#include "util.h"

/* The kernel asks for modules by running /sbin/modprobe (crypto algorithms, filesystems'
 * character sets). In the image that is a link to this program: load them with libkmod. */
static int run_as_modprobe(int argc, char **argv) {
        struct kmod_ctx *k = NULL;
        log_init("modprobe");
        log_set_console_fd(-1);
        log_open_kmsg();
        if (modules_ctx_new(NULL, &k) < 0)
                return 1;
        int failed = 0;
        for (int i = 1; i < argc; i++) {
                if (argv[i][0] == '-')
                        continue;
                int r = modules_load(k, argv[i]);
                if (r < 0) {
                        log_debug("%s: %s", argv[i], strerror(-r));
                        failed = 1;
                }
        }
        return failed;
}

int main(int argc, char **argv) {
        static struct init_ctx ctx = {.ops = &init_real_ops, .keyslot = -1};
        const char *base = strrchr(argv[0], '/');
        if (streq(base ? base + 1 : argv[0], "modprobe"))
                return run_as_modprobe(argc, argv);
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
