/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* The child: stdin from /dev/null, stdout and stderr to the pipe; 127 when exec fails, which
 * the parent reads as "not installed". */
static void tool_child(char *const argv[], int out) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(out, STDERR_FILENO) < 0)
                _exit(126);
        execvp(argv[0], argv);
        _exit(127);
}

/* Everything the child writes, keeping the last TOOL_OUTPUT_MAX bytes. */
static void tool_collect(int in, char *buf, size_t *len) {
        char chunk[1024];
        for (;;) {
                ssize_t n = read(in, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                size_t k = (size_t)n;
                if (*len + k > TOOL_OUTPUT_MAX) {
                        size_t drop = *len + k - TOOL_OUTPUT_MAX;
                        drop = drop > *len ? *len : drop;
                        memmove(buf, buf + drop, *len - drop);
                        *len -= drop;
                }
                k = k > TOOL_OUTPUT_MAX ? TOOL_OUTPUT_MAX : k;
                memcpy(buf + *len, chunk + ((size_t)n - k), k);
                *len += k;
        }
        buf[*len] = 0;
}

int tool_run(char *const argv[], char **ret_output) {
        int fds[2], status;
        size_t len = 0;
        char *buf;

        if (!argv || !argv[0])
                return -EINVAL;
        buf = malloc(TOOL_OUTPUT_MAX + 1);
        if (!buf)
                return -ENOMEM;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                free(buf);
                return -errno;
        }
        pid_t pid = fork();
        if (pid == 0)
                tool_child(argv, fds[1]);
        int r = pid < 0 ? -errno : 0;
        close(fds[1]);
        if (pid > 0)
                tool_collect(fds[0], buf, &len);
        close(fds[0]);
        if (r == 0 && waitpid(pid, &status, 0) < 0)
                r = -errno;
        if (r < 0) {
                free(buf);
                return r;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                free(buf);
                return -ENOENT;
        }
        r = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
        if (r < 0 && ret_output)
                *ret_output = buf;
        else
                free(buf);
        return r;
}

int tool_run_interactive(char *const argv[]) {
        int status;

        if (!argv || !argv[0])
                return -EINVAL;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execvp(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                return -ENOENT;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int tool_capture(char *const argv[], size_t max, char **ret) {
        int fds[2], status;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fds[1], STDOUT_FILENO);
                setenv("LC_ALL", "C", 1);
                execv(argv[0], argv);
                _exit(127);
        }
        close(fds[1]);
        char *out = xmalloc(max + 1);
        size_t len = 0;
        for (ssize_t got; len < max && (got = read(fds[0], out + len, max - len)) != 0;)
                if (got > 0)
                        len += (size_t)got;
                else if (errno != EINTR)
                        break;
        out[len] = '\0';
        close(fds[0]);
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
                free(out);
                return -ECHILD;
        }
        *ret = out;
        return WEXITSTATUS(status);
}
