/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running the few helper programs of the build (depmod, busybox --list), cleaning up, and
 * whether the build was asked to stop. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "mkinitramfs.h"
#include "util.h"

extern char **environ;

struct capture {
        char *data;
        size_t len, allocated;
        size_t limit; /* stop storing past this, keep draining */
};

static int capture_read(int fd, struct capture *c) {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        if (n == 0)
                return 0;
        size_t keep = (size_t)n;
        if (c->len + keep > c->limit)
                keep = c->limit > c->len ? c->limit - c->len : 0;
        if (keep > 0) {
                if (c->len + keep + 1 > c->allocated) {
                        size_t a = c->allocated ? c->allocated : 4096;
                        while (a < c->len + keep + 1)
                                a *= 2;
                        char *d = realloc(c->data, a);
                        if (!d)
                                return -ENOMEM;
                        c->data = d;
                        c->allocated = a;
                }
                memcpy(c->data + c->len, buf, keep);
                c->len += keep;
                c->data[c->len] = 0;
        }
        return 1;
}

static int drain(int out_fd, int err_fd, struct capture *out, struct capture *err) {
        struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
        struct capture *c[2] = { out, err };
        int open_fds = 2;
        while (open_fds > 0) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < 2; i++) {
                        if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        int r = capture_read(p[i].fd, c[i]);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                p[i].fd = -1;
                                open_fds--;
                        }
                }
        }
        return 0;
}

int spawn_capture(char *const argv[], char **ret_out, char *err, size_t err_size) {
        int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
        posix_spawn_file_actions_t fa;
        struct capture out = { .limit = ret_out ? 16 * 1024 * 1024 : 0 };
        struct capture errs = { .limit = err && err_size ? err_size - 1 : 0 };
        pid_t pid = 0;
        int r;

        if (err && err_size)
                err[0] = 0;
        if (pipe2(out_pipe, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err_pipe, O_CLOEXEC) < 0) {
                r = -errno;
                close(out_pipe[0]);
                close(out_pipe[1]);
                return r;
        }
        /* The child gets the signals that the build holds back. */
        posix_spawnattr_t attr;
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
        r = -posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        close(out_pipe[1]);
        close(err_pipe[1]);
        bool spawned = r == 0;
        if (r == 0)
                r = drain(out_pipe[0], err_pipe[0], &out, &errs);
        close(out_pipe[0]);
        close(err_pipe[0]);

        int status = 0;
        while (spawned && waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        r = r < 0 ? r : -errno;
                        break;
                }
        }
        if (r < 0) {
                free(out.data);
                free(errs.data);
                return r;
        }
        if (err && err_size && errs.data)
                snprintf(err, err_size, "%s", errs.data);
        free(errs.data);
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                r = -EPROTO;
        if (r < 0 || !ret_out) {
                free(out.data);
                return r;
        }
        *ret_out = out.data ? out.data : strdup("");
        return *ret_out ? 0 : -ENOMEM;
}

int find_program(const char *name, char *ret) {
        static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(ret, PATH_MAX, "%s/%s", dirs[i], name);
                if (access(ret, X_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        if (type == FTW_DP ? rmdir(path) : unlink(path))
                return errno == ENOENT ? 0 : -1;
        return 0;
}

int rm_rf(const char *path) {
        if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 0;
}

int path_join(char *ret, const char *a, const char *b) {
        int n = snprintf(ret, PATH_MAX, "%s/%s", a, b);
        return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

bool mki_interrupted(void) {
        sigset_t pending;
        if (sigpending(&pending) < 0)
                return false;
        return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1 ||
                sigismember(&pending, SIGHUP) == 1;
}
