/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

pid_t child_fork(int *ret_fd) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                close(fds[0]);
                if (fds[1] != 3 && dup2(fds[1], 3) < 0)
                        _exit(1);
                close_range(4, ~0U, 0);
                return 0;
        }
        int r = pid < 0 ? -errno : 0;
        close(fds[1]);
        if (r < 0) {
                close(fds[0]);
                return r;
        }
        *ret_fd = fds[0];
        return pid;
}
