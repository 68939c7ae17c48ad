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

#include "util.h"

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

/* Runs koompi-boot with the source's options then args; its stdout and stderr in *ret_out and
 * *ret_err. Returns its exit status (0..255) or a negative errno. */
static int run_koompi_boot(const struct rootfacts_source *src, const char *const *args, char **ret_out,
                           char **ret_err) {
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
        _cleanup_close_ int out = memfd_create("koompi-boot-out", MFD_CLOEXEC);
        _cleanup_close_ int err = memfd_create("koompi-boot-err", MFD_CLOEXEC);
        if (out < 0 || err < 0)
                return -errno;
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
        static const char *const args[] = { "--json", "status", NULL };
        _cleanup_free_ char *out = NULL, *err = NULL;
        int r = run_koompi_boot(src, args, &out, &err);
        if (r != 0) {
                *ret_error = describe_failure(src, r, err);
                return r == 2 ? -ENOENT : -EIO;
        }
        r = rootfacts_parse(out, ret);
        if (r < 0)
                *ret_error =
                        describe_failure(src, -EBADMSG, "koompi-boot --json status printed no status object");
        return r;
}

/* Runs koompi-boot with args for a change of the ledger: 0, or a negative errno with *ret_error. */
static int change(const struct rootfacts_source *src, const char *const *args, char **ret_error) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        int r = run_koompi_boot(src, args, &out, &err);
        if (r == 0)
                return 0;
        *ret_error = describe_failure(src, r, err);
        return r == 2 ? -ENOENT : r == 3 ? -EBUSY : -EIO;
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
