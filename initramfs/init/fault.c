/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Power cuts in koompi-init's own writes, for the VM tests (tests/vm/powercut.py): armed only by
 * koompi.fault=STEP[:DELAY_MS] on the kernel command line. A boot without it pays one NULL test
 * per write. The cut is sysrq b: the machine resets at once, nothing synced or unmounted. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "init.h"
#include "log.h"

bool init_fault_matches(const char *spec, const char *step, unsigned long *ret_ms) {
        size_t n = strlen(step);
        if (!spec || strncmp(spec, step, n) != 0 || (spec[n] && spec[n] != ':'))
                return false;
        unsigned long ms = 0;
        if (spec[n] == ':') {
                char *end;
                errno = 0;
                ms = strtoul(spec + n + 1, &end, 10);
                if (errno || end == spec + n + 1 || *end)
                        return false;
        }
        *ret_ms = ms;
        return true;
}

static void sysrq_reset(int fd) {
        (void)!write(fd, "b", 1);
}

void init_fault_point(const struct init_ctx *ctx, const char *step) {
        unsigned long ms;
        if (!init_fault_matches(ctx->cmdline.fault, step, &ms))
                return;
        /* The kernel may allow no sysrq function by default; PID 1 may allow them. */
        int fd = open("/proc/sys/kernel/sysrq", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void)!write(fd, "1", 1);
                close(fd);
        }
        fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return (void)log_errno(-errno, "koompi.fault=%s: /proc/sysrq-trigger", ctx->cmdline.fault);
        log_warning("koompi.fault: the power is cut at %s, %lu ms from now", step, ms);
        /* Later: a child cuts while PID 1 goes on writing. It keeps the open trigger, which
         * still works after the switch to the root. */
        if (ms == 0)
                sysrq_reset(fd);
        else if (fork() == 0) {
                struct timespec t = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
                nanosleep(&t, NULL);
                sysrq_reset(fd);
                _exit(0);
        }
        close(fd);
}
