/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The root facts from koompi-boot: one child process per question, its output parsed by json-c. */
#include "rootfacts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>

#include "util.h"

const char *const rootfacts_status_args[] = { "--json", "status", NULL };

static const char *string_at(json_object *o, const char *a, const char *b) {
        json_object *x, *y;
        if (!json_object_object_get_ex(o, a, &x) || !json_object_object_get_ex(x, b, &y) ||
            !json_object_is_type(y, json_type_string))
                return "";
        return json_object_get_string(y);
}

static bool bool_at(json_object *o, const char *a, const char *b) {
        json_object *x, *y;
        return json_object_object_get_ex(o, a, &x) && json_object_object_get_ex(x, b, &y) &&
                json_object_is_type(y, json_type_boolean) && json_object_get_boolean(y);
}

int rootfacts_parse(const char *json, struct root_facts *ret) {
        json_object *o = json_tokener_parse(json), *alerts;
        if (!o || !json_object_is_type(o, json_type_object) ||
            !json_object_object_get_ex(o, "alerts", &alerts) ||
            !json_object_is_type(alerts, json_type_array)) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = (struct root_facts) {
                .booted_root = strdup_or_die(string_at(o, "booted", "snapshot")),
                .next_root = strdup_or_die(string_at(o, "default", "snapshot")),
                .counting = bool_at(o, "booted", "counting"),
                .status = o,
                .alerts = alerts,
        };
        return 0;
}

void rootfacts_free(struct root_facts *f) {
        free(f->booted_root);
        free(f->next_root);
        json_object_put(f->status);
        *f = (struct root_facts) { 0 };
}

/* Waits for pid at most timeout_ms, then kills it. Returns its wait status or -ETIMEDOUT. */
static int wait_bounded(pid_t pid, unsigned timeout_ms) {
        int status, fd = pidfd_open(pid, 0);
        if (fd >= 0) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int r = poll(&p, 1, (int)timeout_ms);
                close(fd);
                if (r == 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &status, 0);
                        return -ETIMEDOUT;
                }
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return status;
}

static char *slurp_memfd(int fd) {
        off_t len = lseek(fd, 0, SEEK_END);
        char *s = xmalloc(len > 0 ? (size_t)len + 1 : 1);
        ssize_t n = len > 0 ? pread(fd, s, (size_t)len, 0) : 0;
        s[n > 0 ? n : 0] = '\0';
        return s;
}

/* Starts koompi-boot with the source's options then args, its stdout and stderr into the memfds
 * out and err. The pid, or a negative errno. */
static pid_t spawn_koompi_boot(const struct rootfacts_source *src, const char *const *args, int out,
                               int err) {
        const char *argv[16] = { src->koompi_boot };
        unsigned n = 1;
        if (src->top) {
                argv[n++] = "--top";
                argv[n++] = src->top;
        }
        if (src->esp) {
                argv[n++] = "--esp";
                argv[n++] = src->esp;
        }
        if (src->state) {
                argv[n++] = "--state";
                argv[n++] = src->state;
        }
        for (; *args && n < ELEMENTSOF(argv) - 1; args++)
                argv[n++] = *args;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                        _exit(127);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        return pid;
}

static int open_outputs(int *out, int *err) {
        *out = memfd_create("koompi-boot-out", MFD_CLOEXEC);
        *err = memfd_create("koompi-boot-err", MFD_CLOEXEC);
        return *out < 0 || *err < 0 ? -errno : 0;
}

/* Runs koompi-boot with the source's options then args; its stdout and stderr in *ret_out and
 * *ret_err. Returns its exit status (0..255) or a negative errno. */
static int run_koompi_boot(const struct rootfacts_source *src, const char *const *args, char **ret_out,
                           char **ret_err) {
        _cleanup_close_ int out = -1, err = -1;
        int r = open_outputs(&out, &err);
        if (r < 0)
                return r;
        pid_t pid = spawn_koompi_boot(src, args, out, err);
        if (pid < 0)
                return pid;
        int status = wait_bounded(pid, src->timeout_ms);
        if (status < 0)
                return status;
        *ret_out = slurp_memfd(out);
        *ret_err = slurp_memfd(err);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -EIO;
}

/* The last line koompi-boot printed on stderr, or a word on how it ended. */
static char *describe_failure(const struct rootfacts_source *src, int r, const char *err) {
        char *s;
        size_t len = err ? strlen(err) : 0;
        while (len && err[len - 1] == '\n')
                len--;
        size_t start = len;
        while (start && err[start - 1] != '\n')
                start--;
        if (r == 127)
                r = asprintf(&s, "%s could not be run", src->koompi_boot);
        else if (r == -ETIMEDOUT)
                r = asprintf(&s, "%s did not answer within %ums", src->koompi_boot, src->timeout_ms);
        else if (len)
                r = asprintf(&s, "%.*s", (int)(len - start), err + start);
        else if (r < 0)
                r = asprintf(&s, "running %s failed: %s", src->koompi_boot, strerror(-r));
        else
                r = asprintf(&s, "%s failed with exit status %d", src->koompi_boot, r);
        if (r < 0)
                abort();
        return s;
}

int rootfacts_read(const struct rootfacts_source *src, struct root_facts *ret, char **ret_error) {
        _cleanup_free_ char *out = NULL, *err = NULL, *error = NULL;
        int r = run_koompi_boot(src, rootfacts_status_args, &out, &err);
        if (r != 0)
                error = describe_failure(src, r, err);
        return rootfacts_status_result(src, r, out, error, ret, ret_error);
}

/* Runs koompi-boot with args for a change of the ledger: 0, or a negative errno with *ret_error. */
static int change(const struct rootfacts_source *src, const char *const *args, char **ret_error) {
        _cleanup_free_ char *out = NULL, *err = NULL, *error = NULL;
        int r = run_koompi_boot(src, args, &out, &err);
        if (r != 0)
                error = describe_failure(src, r, err);
        return rootfacts_change_result(r, error, ret_error);
}

int rootfacts_ack_alert(const struct rootfacts_source *src, uint64_t seq, char **ret_error) {
        char num[32];
        snprintf(num, sizeof num, "%" PRIu64, seq);
        const char *args[] = { "alerts", "ack", seq ? num : NULL, NULL };
        return change(src, args, ret_error);
}

int rootfacts_mark_bad(const struct rootfacts_source *src, const char *reason, char **ret_error) {
        const char *args[] = { "mark-bad", "--reason", reason ? reason : "", src->entry ? "--entry" : NULL,
                               src->entry, NULL };
        return change(src, args, ret_error);
}

int rootfacts_note(const struct rootfacts_source *src, const char *text, char **ret_error) {
        const char *args[] = { "note", "--", text, NULL };
        return change(src, args, ret_error);
}

int rootfacts_raise_alert(const struct rootfacts_source *src, const char *kind, const char *text,
                          char **ret_error) {
        const char *args[] = { "alerts", "raise", "--", kind, text, NULL };
        return change(src, args, ret_error);
}

/* One koompi-boot run watched by the event loop. */
struct call {
        const struct rootfacts_source *src;
        pid_t pid;
        int out, err;
        bool timed_out;
        sd_event_source *child, *timer;
        rootfacts_done_fn done;
        void *userdata;
};

static void call_free(struct call *c) {
        sd_event_source_disable_unref(c->child);
        sd_event_source_disable_unref(c->timer);
        closep(&c->out);
        closep(&c->err);
        free(c);
}

static int call_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct call *c = userdata;
        c->timed_out = true;
        kill(c->pid, SIGKILL); /* its child event then ends the call */
        return 0;
}

static int call_exited(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct call *c = userdata;
        int r = c->timed_out ? -ETIMEDOUT : si->si_code == CLD_EXITED ? si->si_status : -EIO;
        _cleanup_free_ char *out = slurp_memfd(c->out), *err = slurp_memfd(c->err), *error = NULL;
        if (r != 0)
                error = describe_failure(c->src, r, err);
        c->done(r, out, error, c->userdata);
        call_free(c);
        return 0;
}

int rootfacts_call(sd_event *e, const struct rootfacts_source *src, const char *const *args,
                   rootfacts_done_fn done, void *userdata) {
        struct call *c = xmalloc(sizeof *c);
        *c = (struct call) { .src = src, .out = -1, .err = -1, .done = done, .userdata = userdata };
        int r = open_outputs(&c->out, &c->err);
        if (r >= 0)
                r = c->pid = spawn_koompi_boot(src, args, c->out, c->err);
        if (r >= 0)
                r = sd_event_add_time_relative(e, &c->timer, CLOCK_MONOTONIC,
                                               (uint64_t)src->timeout_ms * 1000, 1000, call_timeout, c);
        if (r >= 0)
                r = sd_event_add_child(e, &c->child, c->pid, WEXITED, call_exited, c);
        if (r < 0) {
                if (c->pid > 0) {
                        kill(c->pid, SIGKILL);
                        waitpid(c->pid, NULL, 0);
                }
                call_free(c);
                return r;
        }
        /* Owned by the call until it ends; a call still running when the agent stops goes with
         * the process. */
        return 0;
}

int rootfacts_status_result(const struct rootfacts_source *src, int r, const char *out, const char *error,
                            struct root_facts *ret, char **ret_error) {
        if (r != 0) {
                *ret_error = strdup_or_die(error ? error : "koompi-boot failed");
                return r == 2 ? -ENOENT : -EIO;
        }
        r = rootfacts_parse(out, ret);
        if (r < 0)
                *ret_error =
                        describe_failure(src, -EBADMSG, "koompi-boot --json status printed no status object");
        return r;
}

int rootfacts_change_result(int r, const char *error, char **ret_error) {
        if (r == 0)
                return 0;
        *ret_error = strdup_or_die(error ? error : "koompi-boot failed");
        return r == 2 ? -ENOENT : r == 3 ? -EBUSY : -EIO;
}
