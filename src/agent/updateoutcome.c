/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "updateoutcome.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#include "child.h"
#include "agent.h"
#include "fetch.h"
#include "log.h"
#include "outcomes.h"
#include "privs.h"
#include "updatefetch.h"
#include "util.h"

/* The most lines one send posts, and how long it may take in all. */
#define SEND_MAX_LINES 100
#define SEND_SECONDS 120
/* The roots already handled, newest last: more than a machine keeps. */
#define SEEN_MAX_BYTES 4096

static void state_path(const struct agent *a, const char *file, char *buf, size_t size) {
        snprintf(buf, size, "%s/%s", a->state_dir, file);
}

void update_outcome(struct agent *a, const char *version, const char *outcome) {
        char path[PATH_MAX], id[OUTCOMES_REPORT_ID_HEX];
        /* Without a machine-id the line is kept here but has no id a report could count. */
        bool have_id = outcome_report_id(a->config.update_machine_id_file, id) == 0;
        _cleanup_free_ char *line = outcome_line(have_id ? id : "", version, outcome, (int64_t)time(NULL));
        if (!line)
                return;
        state_path(a, OUTCOMES_FILE, path, sizeof path);
        int r = outcome_append(path, line, OUTCOMES_MAX_BYTES);
        if (r < 0)
                log_errno(r, "recording the outcome %s of %s in %s failed", outcome, version, path);
        log_info("update: %s %s", version, outcome);
        if (!a->config.report || !have_id)
                return;
        state_path(a, OUTCOMES_QUEUE_FILE, path, sizeof path);
        r = outcome_append(path, line, OUTCOMES_MAX_BYTES);
        if (r < 0)
                log_errno(r, "queueing the outcome %s of %s in %s failed", outcome, version, path);
        update_reports_send(a);
}

/* In the child: every line posted until one fails; "N WORDS" written to fd. */
_Noreturn static void send_child(int fd, const char *user, const char *url, const char *queue) {
        static const struct fetch_limits lim = {
                .max_bytes = 4096, .connect_timeout_s = 10, .stall_timeout_s = 20, .total_timeout_s = 30
        };
        char error[FETCH_ERROR_MAX] = "", answer[FETCH_ERROR_MAX + 32];
        unsigned sent = 0;
        alarm(SEND_SECONDS);
        int r = drop_root(user);
        if (r < 0)
                snprintf(error, sizeof error, "no root could be dropped for [update] user %s", user);
        for (const char *p = queue; r >= 0 && *p && sent < SEND_MAX_LINES;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, n);
                r = line ? fetch_post_json(url, line, n, &lim, error) : -ENOMEM;
                sent += r >= 0;
                p += n + (p[n] == '\n');
        }
        int len = snprintf(answer, sizeof answer, "%u %s", sent, error);
        _exit(write_full(fd, answer, (size_t)len) < 0 ? 1 : 0);
}

static int on_send_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct agent *a = userdata;
        char answer[FETCH_ERROR_MAX + 32] = "", path[PATH_MAX];
        ssize_t n = read(a->report_fd, answer, sizeof answer - 1);
        unsigned sent = 0;
        answer[n > 0 ? n : 0] = '\0';
        update_reports_done(a);
        if (sscanf(answer, "%u", &sent) != 1)
                return log_warning("update reports: the sending child gave no answer"), 0;
        state_path(a, OUTCOMES_QUEUE_FILE, path, sizeof path);
        int r = sent ? outcome_drop_first(path, sent) : 0;
        if (r < 0)
                log_errno(r, "removing the %u sent reports from %s failed", sent, path);
        const char *error = strchr(answer, ' ');
        if (error && error[1])
                log_warning("update reports: %u sent, the rest kept for later: %s", sent, error + 1);
        else
                log_info("update reports: %u sent to %s", sent, a->config.update_report_url);
        return 0;
}

static int start_send(struct agent *a, const char *queue) {
        int fd;
        pid_t pid = child_fork(&fd);
        if (pid == 0)
                send_child(3, a->config.update_user, a->config.update_report_url, queue);
        if (pid < 0)
                return pid;
        a->report_fd = fd;
        a->report_pid = pid;
        return sd_event_add_child(a->event, &a->report_child, pid, WEXITED, on_send_exit, a);
}

void update_reports_send(struct agent *a) {
        char path[PATH_MAX];
        _cleanup_free_ char *queue = NULL;
        if (a->report_pid > 0 || !a->config.report || !a->config.update_report_url[0] || !a->event)
                return;
        state_path(a, OUTCOMES_QUEUE_FILE, path, sizeof path);
        if (read_file(path, &queue, NULL) < 0 || !queue[0])
                return;
        int r = start_send(a, queue);
        if (r < 0) {
                log_errno(r, "sending the update reports could not start; they stay queued");
                update_reports_done(a);
        }
}

void update_reports_done(struct agent *a) {
        a->report_child = sd_event_source_disable_unref(a->report_child);
        if (a->report_pid > 0 && waitpid(a->report_pid, NULL, WNOHANG) == 0) {
                kill(a->report_pid, SIGKILL);
                waitpid(a->report_pid, NULL, 0);
        }
        a->report_pid = 0;
        closep(&a->report_fd);
        a->report_fd = -1;
}

static const char *string_of(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                ? json_object_get_string(v)
                : NULL;
}

size_t update_roots_of(json_object *status, struct revoke_root **ret) {
        json_object *list, *v;
        *ret = NULL;
        if (!json_object_object_get_ex(status, "snapshots", &list) ||
            !json_object_is_type(list, json_type_array))
                return 0;
        size_t n = json_object_array_length(list), k = 0;
        struct revoke_root *roots = n ? xmalloc(n * sizeof *roots) : NULL;
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(list, i);
                const char *name = string_of(s, "name"), *state = string_of(s, "state");
                if (!name)
                        continue;
                roots[k++] = (struct revoke_root) {
                        .name = name,
                        .release = string_of(s, "release"),
                        .good = state && streq(state, "good"),
                        .booted = json_object_object_get_ex(s, "booted", &v) && json_object_get_boolean(v),
                };
        }
        *ret = roots;
        return k;
}

/* Whether text has name as one of its lines. */
static bool has_line(const char *text, const char *name) {
        size_t n = strlen(name);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, name, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

bool update_state_seen(struct agent *a, const char *file, const char *name) {
        char path[PATH_MAX];
        _cleanup_free_ char *text = NULL;
        state_path(a, file, path, sizeof path);
        if (read_file(path, &text, NULL) == 0 && has_line(text, name))
                return true;
        /* outcome_append() makes the folder and keeps the newest names within the bound. */
        int r = outcome_append(path, name, SEEN_MAX_BYTES);
        if (r < 0)
                log_errno(r, "writing %s failed", path);
        return false;
}
