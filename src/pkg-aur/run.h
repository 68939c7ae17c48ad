/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

/* The AUR worker's child processes: network input and PKGBUILD code never run as root. */

struct aur_child {
        const char *user; /* dropped to, when running as root */
        bool no_network; /* a network namespace of its own: loopback only, and down */
        unsigned timeout_s; /* killed, with everything it started, after this long */
        const char *work; /* the build's folder, seen in the private /var/tmp (NULL: none) */
};

/* Runs fn(userdata) in a child process: when we are root, in a PID namespace of its own (so
 * nothing it starts outlives it), a mount namespace with an empty /tmp, /var/tmp and /dev/shm
 * (c->work alone bound back at its place when it is a folder right under /var/tmp), and without
 * network if asked; then as c->user. The child's exit status is what fn returns. Returns the exit
 * status (128+N after signal N), -ETIME when it was killed for taking too long, or a negative
 * errno when it could not be started. */
int aur_child_run(const struct aur_child *c, int (*fn)(void *userdata), void *userdata);

/* The function for aur_child_run that executes an argv (NULL-terminated, argv[0] absolute) with
 * env as its whole environment, in cwd, its stdout sent to *out when out is set, else to stderr
 * (the journal: the worker's stdout is the protocol's). */
struct aur_exec {
        const char *const *argv; /* argv[0] absolute */
        char *const *env;
        const char *cwd;
        const int *out; /* a file the caller reads back (a memfd), or NULL */
};
int aur_exec_fn(void *userdata);
