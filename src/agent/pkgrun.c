/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "util.h"

struct reading {
        const struct pkgrun *run;
        char buf[PKG_LINE_MAX];
        size_t len;
        bool final_seen, bad;
        struct pkg_line final;
        char last[PKG_TEXT_MAX]; /* plain: the last line, for the message of a failure */
};

static pid_t spawn(char *const *argv, int *ret_fd) {
        int fds[2];
        if (access(argv[0], X_OK) < 0)
                return -errno;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                /* Its own process group: a time limit ends everything it started. */
                setpgid(0, 0);
                if (dup2(fds[1], STDOUT_FILENO) < 0)
                        _exit(127);
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull >= 0)
                        dup2(devnull, STDIN_FILENO);
                execv(argv[0], argv);
                _exit(127);
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

static void take_line(struct reading *rd, const char *line) {
        struct pkg_line l;
        if (rd->run->plain) {
                l = (struct pkg_line) { .kind = PKG_LINE_PROGRESS };
                snprintf(l.text, sizeof l.text, "%.*s", (int)sizeof l.text - 1, line);
                snprintf(rd->last, sizeof rd->last, "%.*s", (int)sizeof rd->last - 1, line);
        } else if (rd->final_seen || pkg_line_parse(line, &l) < 0) {
                rd->bad = true; /* a line after the final one, or not the protocol's */
                return;
        }
        if (l.kind != PKG_LINE_PROGRESS) {
                rd->final = l;
                rd->final_seen = true;
        } else if (rd->run->progress)
                rd->run->progress(&l, rd->run->userdata);
}

/* Splits what came into lines; a line longer than PKG_LINE_MAX is not the protocol's. */
static void take_bytes(struct reading *rd, const char *data, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (data[i] != '\n') {
                        if (rd->len + 1 < sizeof rd->buf)
                                rd->buf[rd->len++] = data[i];
                        else
                                rd->bad = !rd->run->plain || rd->bad;
                        continue;
                }
                rd->buf[rd->len] = '\0';
                take_line(rd, rd->buf);
                rd->len = 0;
        }
}

/* Reads until the end of its output or the deadline. 0 or -ETIMEDOUT. */
static int read_all(struct reading *rd, int fd) {
        uint64_t deadline = now_monotonic_us() + (uint64_t)rd->run->timeout_ms * 1000;
        char chunk[8192];
        for (;;) {
                uint64_t now = now_monotonic_us();
                if (now >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int n = poll(&p, 1, (int)((deadline - now) / 1000) + 1);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n <= 0)
                        continue;
                ssize_t got = read(fd, chunk, sizeof chunk);
                if (got < 0 && errno != EINTR && errno != EAGAIN)
                        return -errno;
                if (got == 0)
                        return 0;
                if (got > 0)
                        take_bytes(rd, chunk, (size_t)got);
        }
}

static int plain_result(struct reading *rd, int status, struct pkg_line *ret) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                *ret = (struct pkg_line) { .kind = PKG_LINE_RESULT };
                return 0;
        }
        *ret = (struct pkg_line) { .kind = PKG_LINE_ERROR, .error = -ECHILD };
        snprintf(ret->text, sizeof ret->text, "%.100s failed (%s %d)%s%.300s", rd->run->argv[0],
                 WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), rd->last[0] ? ": " : "",
                 rd->last);
        return -ECHILD;
}

static int worker_result(struct reading *rd, struct pkg_line *ret) {
        if (rd->bad || !rd->final_seen) {
                pkg_line_done(&rd->final);
                *ret = (struct pkg_line) { .kind = PKG_LINE_ERROR, .error = -EBADMSG };
                snprintf(ret->text, sizeof ret->text, "%s gave %s", rd->run->argv[0],
                         rd->bad ? "an answer that is not the protocol's"
                                 : "no answer (it crashed or stopped)");
                return -EBADMSG;
        }
        *ret = rd->final;
        return 0;
}

int pkgrun_run(struct pkgrun *run, struct pkg_line *ret) {
        struct reading *rd = xmalloc(sizeof *rd);
        int fd = -1, status = 0;
        *rd = (struct reading) { .run = run };
        pid_t pid = spawn(run->argv, &fd);
        if (pid < 0) {
                free(rd);
                return (int)pid;
        }
        int r = read_all(rd, fd);
        close(fd);
        if (r < 0)
                kill(-pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        run->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r == 0)
                r = run->plain ? plain_result(rd, status, ret) : worker_result(rd, ret);
        else
                pkg_line_done(&rd->final);
        free(rd);
        return r;
}
