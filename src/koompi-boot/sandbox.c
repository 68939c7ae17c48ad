/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A command run inside a root being updated: chrooted, in a mount namespace of its own (nothing
 * it mounts, and none of what is mounted for it, is seen outside) and a PID namespace of its own
 * (when it exits, every process it left behind, a gpg-agent started by a package script, is
 * killed, so none keeps the new root busy). /home is an empty read-only tmpfs: the users' files
 * are neither readable nor writable from there. /var is the root's own directory, not @var. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context.h"
#include "log.h"
#include "sandbox.h"
#include "util.h"

#define SANDBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SANDBOX_SETUP_FAILED 127

static int mount_at(const char *rootdir, const char *dir, const char *source, const char *type, unsigned long flags,
                    const char *data) {
        char path[PATH_MAX];
        struct stat st;
        if (pathf(path, sizeof path, "%s/%s", rootdir, dir) < 0)
                return -ENAMETOOLONG;
        /* A mount point the root lacks (a bare test root) is made; one that is not a directory
         * (a symlink out of the root) is refused. */
        if (lstat(path, &st) < 0) {
                if (errno != ENOENT || mkdir(path, 0755) < 0)
                        return log_errno(-errno, "creating %s failed", path);
        } else if (!S_ISDIR(st.st_mode))
                return log_errno(-ENOTDIR, "%s is not a directory", path);
        if (mount(source, path, type, flags, data) < 0)
                return log_errno(-errno, "mounting %s on %s failed", source ? source : type, path);
        return 0;
}

static char **make_env(char *const extra[]) {
        static const char *const keep[] = { "TERM", "LANG", "LC_ALL", "http_proxy", "https_proxy", "no_proxy" };
        size_t n = 0;
        for (char *const *p = extra; p && *p; p++)
                n++;
        char **env = calloc(n + ELEMENTSOF(keep) + 4, sizeof *env);
        size_t k = 0;
        if (!env)
                return NULL;
        env[k++] = (char *)"PATH=" SANDBOX_PATH;
        env[k++] = (char *)"HOME=/root";
        for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
                const char *v = getenv(keep[i]);
                char *s;
                if (v && asprintf(&s, "%s=%s", keep[i], v) >= 0)
                        env[k++] = s;
        }
        for (char *const *p = extra; p && *p; p++)
                env[k++] = *p;
        env[k] = NULL;
        return env;
}

/* PID 1 of the new PID namespace: its /proc, then the command. */
static _Noreturn void run_command(const char *rootdir, char *const argv[], char *const env[]) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (mount_at(rootdir, "proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0)
                _exit(SANDBOX_SETUP_FAILED);
        if (chroot(rootdir) < 0 || chdir("/") < 0) {
                log_errno(-errno, "changing the root to %s failed", rootdir);
                _exit(SANDBOX_SETUP_FAILED);
        }
        char **e = make_env(env);
        if (!e)
                _exit(SANDBOX_SETUP_FAILED);
        execve(argv[0], argv, e);
        log_errno(-errno, "running %s in %s failed", argv[0], rootdir);
        _exit(SANDBOX_SETUP_FAILED);
}

static _Noreturn void run_namespace(const char *rootdir, char *const argv[], char *const env[]) {
        int status;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0) {
                log_errno(-errno, "making the namespaces of the command failed");
                _exit(SANDBOX_SETUP_FAILED);
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                log_errno(-errno, "making the mounts private failed");
                _exit(SANDBOX_SETUP_FAILED);
        }
        if (mount_at(rootdir, "dev", "/dev", NULL, MS_BIND | MS_REC, NULL) < 0 ||
            mount_at(rootdir, "sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0 ||
            mount_at(rootdir, "run", "/run", NULL, MS_BIND, NULL) < 0 ||
            mount_at(rootdir, "tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0 ||
            mount_at(rootdir, "home", "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     "mode=0755,size=4k") < 0)
                _exit(SANDBOX_SETUP_FAILED);
        pid_t pid = fork();
        if (pid < 0) {
                log_errno(-errno, "starting the command failed");
                _exit(SANDBOX_SETUP_FAILED);
        }
        if (pid == 0)
                run_command(rootdir, argv, env);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(SANDBOX_SETUP_FAILED);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int sandbox_run(const char *rootdir, char *const argv[], char *const env[]) {
        struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
        int status;

        fflush(stdout);
        fflush(stderr);
        /* Like system(3): ^C is for the command; we wait for it and judge its status. */
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGQUIT, &old_quit, NULL);
                return r;
        }
        if (pid == 0) {
                signal(SIGINT, SIG_DFL);
                signal(SIGQUIT, SIG_DFL);
                run_namespace(rootdir, argv, env);
        }
        int r = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        break;
                }
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        if (r < 0)
                return r;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
