/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A command run inside a root being updated: chrooted, in a mount namespace of its own (nothing
 * it mounts, and none of what is mounted for it, is seen outside) and a PID namespace of its own
 * (when it exits, every process it left behind, a gpg-agent started by a package script, is
 * killed, so none keeps the new root busy). /home is an empty read-only tmpfs: the users' files
 * are neither readable nor writable from there. /var is the root's own directory, not @var.
 * Nothing is printed here: what fails is handed to the caller's log function, from the process
 * where it failed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "util.h"

#define SANDBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SANDBOX_SETUP_FAILED 127

struct sandbox {
        const char *rootdir;
        char *const *argv;
        char *const *env;
        const char *cache; /* bound read-only at SANDBOX_CACHE_DIR, or NULL */
        sandbox_log_fn log;
        void *userdata;
};

/* Hands what failed to the caller's log function; returns err. */
static int say(const struct sandbox *sb, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(const struct sandbox *sb, int err, const char *fmt, ...) {
        char what[PATH_MAX + 128];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        if (sb->log)
                sb->log(err, what, sb->userdata);
        return err;
}

static int mount_at(const struct sandbox *sb, const char *dir, const char *source, const char *type,
                    unsigned long flags, const char *data) {
        char path[PATH_MAX];
        struct stat st;
        int n = snprintf(path, sizeof path, "%s/%s", sb->rootdir, dir);
        if (n < 0 || (size_t)n >= sizeof path)
                return say(sb, -ENAMETOOLONG, "the path of %s in %s is too long", dir, sb->rootdir);
        /* A mount point the root lacks (a bare test root) is made; one that is not a directory
         * (a symlink out of the root) is refused. */
        if (lstat(path, &st) < 0) {
                if (errno != ENOENT || mkdir(path, 0755) < 0)
                        return say(sb, -errno, "creating %s failed", path);
        } else if (!S_ISDIR(st.st_mode))
                return say(sb, -ENOTDIR, "%s is not a directory", path);
        if (mount(source, path, type, flags, data) < 0)
                return say(sb, -errno, "mounting %s on %s failed", source ? source : type, path);
        return 0;
}

/* The cache folder, read-only, on top of the command's /tmp (a bind is read-only only once
 * remounted so). */
static int bind_cache(const struct sandbox *sb) {
        if (!sb->cache)
                return 0;
        int r = mount_at(sb, SANDBOX_CACHE_DIR + 1, sb->cache, NULL, MS_BIND, NULL);
        if (r < 0)
                return r;
        return mount_at(sb, SANDBOX_CACHE_DIR + 1, sb->cache, NULL,
                        MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

static char **make_env(char *const extra[]) {
        static const char *const keep[] = {
                "TERM", "LANG", "LC_ALL", "http_proxy", "https_proxy", "no_proxy"
        };
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
static _Noreturn void run_command(const struct sandbox *sb) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (mount_at(sb, "proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0)
                _exit(SANDBOX_SETUP_FAILED);
        if (chroot(sb->rootdir) < 0 || chdir("/") < 0) {
                say(sb, -errno, "changing the root to %s failed", sb->rootdir);
                _exit(SANDBOX_SETUP_FAILED);
        }
        char **e = make_env(sb->env);
        if (!e)
                _exit(SANDBOX_SETUP_FAILED);
        execve(sb->argv[0], sb->argv, e);
        say(sb, -errno, "running %s in %s failed", sb->argv[0], sb->rootdir);
        _exit(SANDBOX_SETUP_FAILED);
}

static _Noreturn void run_namespace(const struct sandbox *sb) {
        int status;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0) {
                say(sb, -errno, "making the namespaces of the command failed");
                _exit(SANDBOX_SETUP_FAILED);
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                say(sb, -errno, "making the mounts private failed");
                _exit(SANDBOX_SETUP_FAILED);
        }
        if (mount_at(sb, "dev", "/dev", NULL, MS_BIND | MS_REC, NULL) < 0 ||
            mount_at(sb, "sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0 ||
            mount_at(sb, "run", "/run", NULL, MS_BIND, NULL) < 0 ||
            mount_at(sb, "tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0 ||
            mount_at(sb, "home", "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     "mode=0755,size=4k") < 0 ||
            bind_cache(sb) < 0)
                _exit(SANDBOX_SETUP_FAILED);
        pid_t pid = fork();
        if (pid < 0) {
                say(sb, -errno, "starting the command failed");
                _exit(SANDBOX_SETUP_FAILED);
        }
        if (pid == 0)
                run_command(sb);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(SANDBOX_SETUP_FAILED);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int sandbox_run(const char *rootdir, char *const argv[], char *const env[], sandbox_log_fn log,
                void *userdata) {
        return sandbox_run_cache(rootdir, argv, env, NULL, log, userdata);
}

int sandbox_run_cache(const char *rootdir, char *const argv[], char *const env[], const char *cache,
                      sandbox_log_fn log, void *userdata) {
        const struct sandbox sb = {
                .rootdir = rootdir, .argv = argv, .env = env, .cache = cache, .log = log, .userdata = userdata
        };
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
                run_namespace(&sb);
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
