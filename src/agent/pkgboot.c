/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgboot.h"

#include <errno.h>
#include <stdio.h>

#include "pkgrun.h"
#include "util.h"

static void relay(const struct pkg_line *l, void *userdata) {
        pkgout_progress(userdata, "%s", l->text);
}

/* koompi-boot's exit code as the errno of the project's table (koompi-boot(8)). */
static int errno_of_exit(int status) {
        static const int errnos[] = {
                [1] = -EINVAL, [2] = -ENOENT, [3] = -EPERM, [4] = -ENOSPC, [5] = -EIO, [6] = -ECHILD
        };
        return status > 0 && status < (int)ELEMENTSOF(errnos) ? errnos[status] : -EIO;
}

int pkgboot_update(const struct pkgjob *j, struct pkgjob_out *o, const char *option, const char *value,
                   const char *cache, char *error, size_t size) {
        const struct rootfacts_source *b = j->boot;
        char *argv[16];
        size_t n = 0;
        struct pkg_line l = { 0 };
        argv[n++] = (char *)b->koompi_boot;
        const char *opts[][2] = { { "--top", b->top }, { "--esp", b->esp }, { "--state", b->state } };
        for (size_t i = 0; i < ELEMENTSOF(opts); i++)
                if (opts[i][1]) {
                        argv[n++] = (char *)opts[i][0];
                        argv[n++] = (char *)opts[i][1];
                }
        argv[n++] = (char *)"update";
        argv[n++] = (char *)option;
        argv[n++] = (char *)value;
        if (cache) {
                argv[n++] = (char *)"--pacman-cache";
                argv[n++] = (char *)cache;
        }
        if (j->release[0]) {
                argv[n++] = (char *)"--release";
                argv[n++] = (char *)j->release;
        }
        argv[n] = NULL;
        struct pkgrun run = { .argv = argv,
                              .timeout_ms = j->conf->packages.timeout_ms,
                              .plain = true,
                              .progress = relay,
                              .userdata = o };
        int r = pkgrun_run(&run, &l);
        if (r == -ECHILD)
                r = errno_of_exit(run.exit_status);
        if (r < 0)
                snprintf(error, size, "the new root could not be made, nothing changed: %s",
                         l.kind == PKG_LINE_ERROR ? l.text : strerror(-r));
        return r;
}
