/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starts, times and reaps the health scripts. The schedule itself is health.c's. */
#include "healthrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "util.h"

#define OUTPUT_TAIL 4096

struct healthrun {
        sd_event *event;
        struct health_run run;
        sd_event_source **children; /* one per check, NULL when not running */
        int *outputs; /* one memfd per check */
        sd_event_source *timer;
        sd_event_source *finish;
        const struct healthrun_ops *ops;
        void *userdata;
        struct builtin_settings set; /* for the built-in checks, run in processes too */
        struct builtin_env env;
};

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void add_folder(struct health_run *run, const char *dir, bool required, unsigned timeout_ms) {
        DIR *d = opendir(dir);
        struct dirent *de;
        char path[4096];
        struct stat st;
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (!health_is_check_name(de->d_name))
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                /* A script that is not executable is switched off, as in run-parts. */
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
                        health_add(run, de->d_name, path, required, timeout_ms);
        }
        closedir(d);
}

/* The last OUTPUT_TAIL bytes the check wrote. */
static char *read_tail(int fd) {
        off_t len = lseek(fd, 0, SEEK_END), from = len > OUTPUT_TAIL ? len - OUTPUT_TAIL : 0;
        char *s = xmalloc(OUTPUT_TAIL + 1);
        ssize_t n = len > 0 ? pread(fd, s, (size_t)(len - from), from) : 0;
        s[n > 0 ? n : 0] = '\0';
        return s;
}

static void arm_timer(struct healthrun *hr) {
        uint64_t next = health_next_deadline(&hr->run);
        if (next == UINT64_MAX) {
                sd_event_source_set_enabled(hr->timer, SD_EVENT_OFF);
                return;
        }
        sd_event_source_set_time(hr->timer, next * 1000);
        sd_event_source_set_enabled(hr->timer, SD_EVENT_ONESHOT);
}

static size_t finished_count(const struct healthrun *hr) {
        size_t finished = 0;
        for (size_t k = 0; k < hr->run.n; k++)
                finished += hr->run.checks[k].state >= CHECK_PASSED;
        return finished;
}

static void check_finished(struct healthrun *hr, size_t i) {
        if (hr->ops->progress)
                hr->ops->progress(&hr->run.checks[i], finished_count(hr), hr->run.n, hr->userdata);
        if (health_done(&hr->run))
                sd_event_source_set_enabled(hr->finish, SD_EVENT_ONESHOT);
        else
                arm_timer(hr);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct healthrun *hr = userdata;
        for (size_t i = 0; i < hr->run.n; i++) {
                if (hr->children[i] != s)
                        continue;
                int status = si->si_code == CLD_EXITED ? (si->si_status & 0xff) << 8 : (si->si_status & 0x7f);
                _cleanup_free_ char *out = read_tail(hr->outputs[i]);
                hr->children[i] = sd_event_source_disable_unref(s);
                health_ended(&hr->run.checks[i], status, out);
                check_finished(hr, i);
                break;
        }
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        struct healthrun *hr = userdata;
        health_expire(&hr->run, now_ms());
        /* A hung check goes with everything it started; its child event then ends it. */
        for (size_t i = 0; i < hr->run.n; i++)
                if (hr->run.checks[i].state == CHECK_TIMED_OUT && hr->run.checks[i].pid > 0)
                        kill(-hr->run.checks[i].pid, SIGKILL);
        arm_timer(hr);
        return 0;
}

static int on_finish(sd_event_source *s, void *userdata) {
        struct healthrun *hr = userdata;
        hr->ops->done(hr, hr->userdata);
        return 0;
}

/* The check's process: its own group (so a hang is killed whole), output into the memfd,
 * nothing on stdin. A built-in check (no path) runs in the forked process itself: its verdict
 * is the exit status (0 passed, 1 failed, HEALTH_EXIT_SKIPPED), what it found the output. */
static pid_t spawn(const struct healthrun *hr, const struct health_check *c, int out) {
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0) {
                /* Also here, so a kill of the group cannot come before the child's own call. */
                setpgid(pid, pid);
                return pid;
        }
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                _exit(127);
        if (!*c->path) {
                char msg[512];
                enum health_state s = builtin_run_one(c->name, &hr->set, &hr->env, msg, sizeof msg);
                dprintf(1, "%s\n", msg);
                _exit(s == CHECK_PASSED ? 0 : s == CHECK_SKIPPED ? HEALTH_EXIT_SKIPPED : 1);
        }
        execl(c->path, c->path, (char *)NULL);
        dprintf(2, "cannot run %s: %m\n", c->path);
        _exit(127);
}

static int start_one(struct healthrun *hr, size_t i) {
        struct health_check *c = &hr->run.checks[i];
        if (c->state != CHECK_PENDING) {
                /* A built-in check: its result is already there. */
                if (hr->ops->progress)
                        hr->ops->progress(c, finished_count(hr), hr->run.n, hr->userdata);
                return 0;
        }
        hr->outputs[i] = memfd_create(c->name, MFD_CLOEXEC);
        pid_t pid = hr->outputs[i] < 0 ? -errno : spawn(hr, c, hr->outputs[i]);
        if (pid < 0) {
                c->state = CHECK_NOT_RUN;
                return 0;
        }
        health_started(c, pid, now_ms());
        return sd_event_add_child(hr->event, &hr->children[i], pid, WEXITED, on_child, hr);
}

static int setup_sources(struct healthrun *hr) {
        int r = sd_event_add_time(hr->event, &hr->timer, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_deadline, hr);
        if (r >= 0)
                r = sd_event_add_defer(hr->event, &hr->finish, on_finish, hr);
        if (r >= 0)
                r = sd_event_source_set_enabled(hr->finish, SD_EVENT_OFF);
        return r;
}

int healthrun_start(struct healthrun **ret, sd_event *e, const struct agent_config *conf,
                    const struct builtin_env *env, const struct healthrun_ops *ops, void *userdata) {
        struct healthrun *hr = xmalloc(sizeof(*hr));
        *hr = (struct healthrun) { .event = sd_event_ref(e),
                                   .ops = ops,
                                   .userdata = userdata,
                                   .set = { .required = conf->required_checks,
                                            .wanted = conf->wanted_checks,
                                            .units = conf->units,
                                            .min_free = conf->min_free },
                                   .env = env ? *env : (struct builtin_env) {} };
        /* In processes like the scripts: a check that waits (systemd on the bus, a hung
         * filesystem) holds neither the loop nor the other checks. */
        builtin_add_pending(&hr->run, &hr->set, conf->check_timeout_ms);
        add_folder(&hr->run, conf->required_dir, true, conf->check_timeout_ms);
        add_folder(&hr->run, conf->wanted_dir, false, conf->check_timeout_ms);
        health_sort(&hr->run);
        hr->children = calloc(hr->run.n + 1, sizeof(*hr->children));
        hr->outputs = calloc(hr->run.n + 1, sizeof(*hr->outputs));
        if (!hr->children || !hr->outputs)
                abort();
        for (size_t i = 0; i < hr->run.n; i++)
                hr->outputs[i] = -1;
        int r = setup_sources(hr);
        for (size_t i = 0; r >= 0 && i < hr->run.n; i++)
                r = start_one(hr, i);
        if (r < 0) {
                healthrun_free(hr);
                return r;
        }
        if (health_done(&hr->run))
                sd_event_source_set_enabled(hr->finish, SD_EVENT_ONESHOT);
        else
                arm_timer(hr);
        *ret = hr;
        return 0;
}

const struct health_run *healthrun_checks(const struct healthrun *hr) {
        return &hr->run;
}

void healthrun_free(struct healthrun *hr) {
        if (!hr)
                return;
        for (size_t i = 0; i < hr->run.n; i++) {
                /* Nothing of a run outlives it: what still runs is killed and reaped. */
                if (hr->run.checks[i].pid > 0 && hr->children[i]) {
                        kill(-hr->run.checks[i].pid, SIGKILL);
                        waitpid(hr->run.checks[i].pid, NULL, 0);
                }
                sd_event_source_disable_unref(hr->children[i]);
                if (hr->outputs[i] >= 0)
                        close(hr->outputs[i]);
        }
        sd_event_source_disable_unref(hr->timer);
        sd_event_source_disable_unref(hr->finish);
        sd_event_unref(hr->event);
        health_free(&hr->run);
        free(hr->children);
        free(hr->outputs);
        free(hr);
}
