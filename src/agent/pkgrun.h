/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdint.h>

#include "pkgline.h"

/* One program run for a package request, blocking (in the request's own process, never in the
 * agent's loop): a package worker speaking the protocol of koompi-agent(8), or a plain command
 * (koompi-boot update) whose output lines are relayed as progress. Killed, with what it
 * started, after timeout_ms. */
typedef void (*pkgrun_progress_fn)(const struct pkg_line *progress, void *userdata);

struct pkgrun {
        char *const *argv; /* argv[0] an absolute path */
        unsigned timeout_ms;
        bool plain; /* not a worker: each output line is progress, the exit status the result */
        pkgrun_progress_fn progress;
        void *userdata;
        int exit_status; /* out, plain: its exit status once it ended, -1 after a signal */
};

/* Runs it. For a worker: 0 with its final line in *ret (a result or an error: pkg_line_done()
 * it), or -ETIMEDOUT (killed), -EBADMSG (a line that is not the protocol's, or no final line:
 * ret's text says which), -ENOENT (no such program), or another negative errno. For a plain
 * command: 0 when it exited 0, else ret is an error line naming its exit status and its last
 * output line, with -ECHILD. */
int pkgrun_run(struct pkgrun *run, struct pkg_line *ret);
