/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Runs argv[0] (an absolute path inside rootdir) chrooted in rootdir, in a mount and PID
 * namespace of its own: /proc mounted, /sys read-only, /dev and /run bound, /tmp an empty
 * tmpfs, /home an empty read-only tmpfs. env: extra "KEY=VALUE" strings (NULL-terminated, may
 * be NULL). Returns the exit status (128+N for signal N) or a negative errno (sandbox.c). */
int sandbox_run(const char *rootdir, char *const argv[], char *const env[]);
