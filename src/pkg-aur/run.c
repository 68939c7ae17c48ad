/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "privs.h"
#include "util.h"

/* An empty /var/tmp, where the user could otherwise leave files behind; the build's own folder
 * (right under it) bound back at its place, through a descriptor taken before. */
static int private_var_tmp(const char *work) {
        const char *rest = work ? startswith(work, "/var/tmp/") : NULL;
        bool keep = rest && *rest && !strchr(rest, '/');
        char self[64];
        _cleanup_close_ int fd = keep ? open(work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (keep && fd < 0)
                return -errno;
        if (mount("tmpfs", "/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                return -errno;
        if (!keep)
                return 0;
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        if (mkdir(work, 0700) < 0 || mount(self, work, NULL, MS_BIND, NULL) < 0)
                return -errno;
        return 0;
}

/* In the new PID namespace, still root: its own /proc, and scratch places the user could
 * otherwise leave files in. */
static int enter_mounts(const char *work) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0 ||
            mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                return -errno;
        return private_var_tmp(work);
}

/* The namespaces' PID 1: mounts, then the user, then fn. It dies with its parent. */
static int inner(const struct aur_child *c, int (*fn)(void *), void *userdata, bool isolated) {
        pid_t parent = getppid();
        int r = isolated ? enter_mounts(c->work) : 0;
        if (r >= 0)
                r = drop_root(c->user);
        /* Set after the drop: a change of credentials clears it. */
        if (r >= 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
                r = -ESRCH;
        if (r < 0) {
                fprintf(stderr, "koompi-pkg-aur: the build sandbox could not be made: %s\n", strerror(-r));
                return 127;
        }
        r = fn(userdata);
        fflush(NULL); /* the caller leaves by _exit */
        return r;
}

/* The status a waited-for process ended with, as a shell gives it. */
static int status_of(int st) {
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The outer child: new namespaces when root, then one process in them, waited for. */
static int outer(const struct aur_child *c, int (*fn)(void *), void *userdata) {
        bool isolated = geteuid() == 0;
        int flags = CLONE_NEWPID | CLONE_NEWNS | (c->no_network ? CLONE_NEWNET : 0);
        if (isolated && unshare(flags) < 0)
                return 127;
        pid_t pid = fork();
        if (pid < 0)
                return 127;
        if (pid == 0)
                _exit(inner(c, fn, userdata, isolated));
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return 127;
        return status_of(st);
}

/* Waits for pid until the deadline; kills it (and its group) then. */
static int wait_bounded(pid_t pid, unsigned timeout_s) {
        uint64_t deadline = now_monotonic_us() + (uint64_t)timeout_s * 1000000;
        const struct timespec tick = { 0, 50 * 1000 * 1000 };
        int st;
        for (;;) {
                pid_t w = waitpid(pid, &st, WNOHANG);
                if (w == pid)
                        return status_of(st);
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (now_monotonic_us() >= deadline)
                        break;
                nanosleep(&tick, NULL);
        }
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        (void)waitpid(pid, &st, 0);
        return -ETIME;
}

int aur_child_run(const struct aur_child *c, int (*fn)(void *userdata), void *userdata) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                (void)setpgid(0, 0);
                _exit(outer(c, fn, userdata));
        }
        return wait_bounded(pid, c->timeout_s);
}

int aur_exec_fn(void *userdata) {
        const struct aur_exec *e = userdata;
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
            dup2(e->out ? *e->out : STDERR_FILENO, STDOUT_FILENO) < 0 || (e->cwd && chdir(e->cwd) < 0))
                return 127;
        execve(e->argv[0], (char *const *)e->argv, e->env);
        fprintf(stderr, "koompi-pkg-aur: %s could not be run: %m\n", e->argv[0]);
        return 127;
}
