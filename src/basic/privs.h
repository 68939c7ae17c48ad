/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Gives up root for good before reading what the network or a stranger's script puts in front
 * of a process: no supplementary groups, user's group and user ids (real, effective, saved), no
 * new privileges, and proof that root cannot be taken back. Nothing when not running as root
 * (a test, or an already sandboxed service). 0; -ESRCH when user does not exist; -EPERM when
 * user is root or root came back; another negative errno when a call failed. */
int drop_root(const char *user);
