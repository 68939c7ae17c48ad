/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include "fetch.h"
#include "verify.h"

/* In a forked child: drops root, fetches and checks the release from mirrors (space
 * separated) under t, writes {"mirror", "manifest", "signature"} or {"error", "errno"} to fd,
 * and exits. Never returns. */
_Noreturn void updatefetch_child(int fd, const char *user, const char *mirrors, const struct update_trust *t,
                                 const struct fetch_limits *lim);
