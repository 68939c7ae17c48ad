/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pkgpriv.h"
#include "privs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int pkg_user_ids(const char *user, uid_t *ret_uid, gid_t *ret_gid) {
        struct passwd *pw = getpwnam(user);
        if (!pw)
                return -ESRCH;
        *ret_uid = pw->pw_uid;
        *ret_gid = pw->pw_gid;
        return 0;
}

static _Noreturn void child(const char *user, char *const argv[]) {
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
            drop_root(user) < 0)
                _exit(126);
        execv(argv[0], argv);
        _exit(127);
}

int pkg_run_as(const char *user, char *const argv[], unsigned timeout_s) {
        int status;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child(user, argv);
        const struct timespec step = { .tv_nsec = 20 * 1000 * 1000 };
        for (unsigned i = 0; i < timeout_s * 50u; i++) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
                if (w < 0 && errno != EINTR)
                        return -errno;
                nanosleep(&step, NULL);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -ETIMEDOUT;
}
