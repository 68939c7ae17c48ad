/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <sys/types.h>

/* What reads the network or an untrusted file runs as a user with no privileges. */

/* Runs argv (argv[0] an absolute path) as user, stdin from /dev/null, stdout to stderr; waits
 * at most timeout_s seconds (then kills it). Its exit status (0..255), or a negative errno
 * (-ETIMEDOUT; -ECHILD when it was killed by a signal). */
int pkg_run_as(const char *user, char *const argv[], unsigned timeout_s);
/* The uid and gid of user. 0 or -ESRCH. */
int pkg_user_ids(const char *user, uid_t *ret_uid, gid_t *ret_gid);
