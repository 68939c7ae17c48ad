/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

/* Runs an external tool of the OS (objcopy, sbsign, openssl, efitools) with no shell in
 * between: argv[0] is looked up in PATH. What it writes on stdout and stderr is kept, not
 * printed (library code never prints): on failure the caller shows it.
 *
 * Returns 0 when the tool exited 0; -ENOENT when it could not be started (not installed);
 * -EIO when it failed (exit status not 0, or killed); -ENOMEM. On -EIO only, *ret_output (may
 * be NULL) gets the last TOOL_OUTPUT_MAX bytes of its output, NUL-terminated (free it), so
 * that callers running several tools keep only what the failing one said. */
#define TOOL_OUTPUT_MAX 4096

int tool_run(char *const argv[], char **ret_output);

/* The same with the caller's terminal: stdin, stdout and stderr inherited (the tool asks for a
 * passphrase, or prints what the person must see and only they: a recovery key). 0, -ENOENT,
 * -EIO as tool_run(). */
int tool_run_interactive(char *const argv[]);

/* Runs argv (argv[0] a path, no PATH look-up) with LC_ALL=C, stderr inherited; its stdout, at
 * most max bytes and NUL-terminated, in *ret (free it). Returns its exit status (0-255), or
 * -ECHILD when it could not be waited for or was killed (nothing in *ret then), or another
 * negative errno. */
int tool_capture(char *const argv[], size_t max, char **ret);
