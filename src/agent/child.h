/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <sys/types.h>

/* Forks a child of the agent that speaks on fd 3, the write end of a pipe. In the child (0
 * returned) only fds 0-2 and 3 stay open: the bus connection and every other fd are the
 * agent's, as root. In the parent: the child's pid, with the read end (O_CLOEXEC) in *ret_fd;
 * or a negative errno when no child could be made (nothing left open then). */
pid_t child_fork(int *ret_fd);
