/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include "fetch.h"
#include "verify.h"

/* Drops root for user: no supplementary groups, its gid and uid (real, effective, saved), no
 * new privileges. 0 (also when not root to begin with), -ESRCH when there is no such user,
 * -EPERM when user is root or root could be taken back, or another negative errno. */
int updatefetch_drop_root(const char *user);
/* In a forked child: drops root, fetches and checks the release from mirrors (space
 * separated) under t, writes {"mirror", "manifest", "signature"} or {"error", "errno"} to fd,
 * and exits. Never returns. */
_Noreturn void updatefetch_child(int fd, const char *user, const char *mirrors, const struct update_trust *t,
                                 const struct fetch_limits *lim);
