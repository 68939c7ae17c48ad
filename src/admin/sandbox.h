/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Told what failed while the command's sandbox was being made (in the child processes, where
 * it failed): err is a negative errno, what a sentence without it. */
typedef void (*sandbox_log_fn)(int err, const char *what, void *userdata);

/* Runs argv[0] (an absolute path inside rootdir) chrooted in rootdir, in a mount and PID
 * namespace of its own: /proc mounted, /sys read-only, /dev and /run bound, /tmp an empty
 * tmpfs, /home an empty read-only tmpfs. env: extra "KEY=VALUE" strings (NULL-terminated, may
 * be NULL). log (may be NULL) hears what failed in making the sandbox, whose exit status is then
 * 127. Returns the exit status (128+N for signal N) or a negative errno when no process could be
 * started. */
int sandbox_run(const char *rootdir, char *const argv[], char *const env[], sandbox_log_fn log,
                void *userdata);

/* Where sandbox_run_cache() shows its folder: inside the command's own /tmp, so the root keeps
 * neither the mount nor its mount point. */
#define SANDBOX_CACHE_DIR "/tmp/koompi-update-cache"
/* sandbox_run(), with the folder cache (NULL: none) bound read-only at SANDBOX_CACHE_DIR: a
 * release's verified packages, for the root's pacman. Same returns. */
int sandbox_run_cache(const char *rootdir, char *const argv[], char *const env[], const char *cache,
                      sandbox_log_fn log, void *userdata);
