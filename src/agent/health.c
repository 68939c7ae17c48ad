/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The health checks' schedule and verdict, after greenboot's required/wanted split. */
#include "health.h"

#include <stdio.h>
#include <sys/wait.h>

#include "util.h"

bool health_is_check_name(const char *name) {
        static const char *const leftovers[] = { ".pacnew",   ".pacsave", ".pacorig", "~",       ".bak",
                                                 ".disabled", ".swp",     ".rpmnew",  ".rpmsave" };
        if (!name || !*name || name[0] == '.' || strstr(name, ".dpkg-"))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(leftovers); i++)
                if (endswith(name, leftovers[i]))
                        return false;
        return true;
}

void health_add(struct health_run *run, const char *name, const char *path, bool required,
                unsigned timeout_ms) {
        struct health_check *v = realloc(run->checks, sizeof(*v) * (run->n + 1));
        if (!v)
                abort();
        run->checks = v;
        v[run->n++] = (struct health_check) {
                .name = strdup_or_die(name),
                .path = strdup_or_die(path),
                .required = required,
                .timeout_ms = timeout_ms,
                .pid = -1,
        };
}

void health_add_result(struct health_run *run, const char *name, bool required, enum health_state state,
                       const char *output) {
        health_add(run, name, "", required, 0);
        struct health_check *c = &run->checks[run->n - 1];
        c->state = state;
        c->output = output ? strdup_or_die(output) : NULL;
}

static int check_cmp(const void *a, const void *b) {
        const struct health_check *x = a, *y = b;
        if (x->required != y->required)
                return x->required ? -1 : 1;
        return strcmp(x->name, y->name);
}

void health_sort(struct health_run *run) {
        if (run->n > 1)
                qsort(run->checks, run->n, sizeof(run->checks[0]), check_cmp);
}

void health_free(struct health_run *run) {
        for (size_t i = 0; i < run->n; i++) {
                free(run->checks[i].name);
                free(run->checks[i].path);
                free(run->checks[i].output);
        }
        free(run->checks);
        *run = (struct health_run) { 0 };
}

void health_started(struct health_check *c, pid_t pid, uint64_t now_ms) {
        c->state = CHECK_RUNNING;
        c->pid = pid;
        c->deadline_ms = now_ms + c->timeout_ms;
}

uint64_t health_next_deadline(const struct health_run *run) {
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < run->n; i++)
                if (run->checks[i].state == CHECK_RUNNING && run->checks[i].deadline_ms < next)
                        next = run->checks[i].deadline_ms;
        return next;
}

unsigned health_expire(struct health_run *run, uint64_t now_ms) {
        unsigned n = 0;
        for (size_t i = 0; i < run->n; i++) {
                struct health_check *c = &run->checks[i];
                if (c->state == CHECK_RUNNING && c->deadline_ms <= now_ms) {
                        c->state = CHECK_TIMED_OUT;
                        n++;
                }
        }
        return n;
}

void health_ended(struct health_check *c, int wait_status, const char *output) {
        c->wait_status = wait_status;
        c->pid = -1;
        free(c->output);
        c->output = output ? strdup_or_die(output) : NULL;
        if (c->state == CHECK_TIMED_OUT || c->state == CHECK_NOT_RUN)
                return;
        if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == HEALTH_EXIT_SKIPPED)
                c->state = CHECK_SKIPPED;
        else
                c->state =
                        WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0 ? CHECK_PASSED : CHECK_FAILED;
}

bool health_done(const struct health_run *run) {
        for (size_t i = 0; i < run->n; i++)
                if (run->checks[i].state == CHECK_PENDING || run->checks[i].state == CHECK_RUNNING)
                        return false;
        return true;
}

static bool failed(const struct health_check *c) {
        return c->state == CHECK_FAILED || c->state == CHECK_TIMED_OUT || c->state == CHECK_NOT_RUN;
}

enum health_verdict health_verdict(const struct health_run *run) {
        enum health_verdict v = HEALTH_OK;
        if (!health_done(run))
                return HEALTH_UNKNOWN;
        for (size_t i = 0; i < run->n; i++) {
                if (failed(&run->checks[i]) && run->checks[i].required)
                        return HEALTH_FAILED;
                if (failed(&run->checks[i]))
                        v = HEALTH_DEGRADED;
        }
        return v;
}

const char *health_verdict_name(enum health_verdict v) {
        static const char *const names[] = { "unknown", "ok", "degraded", "failed" };
        return v <= HEALTH_FAILED ? names[v] : "unknown";
}

const char *health_state_name(enum health_state s) {
        static const char *const names[] = { "pending",   "running", "passed", "failed",
                                             "timed-out", "not-run", "skipped" };
        return s <= CHECK_SKIPPED ? names[s] : "unknown";
}

/* The last non-blank line of text, as [*ret, *ret + *ret_len). */
static bool last_line(const char *text, const char **ret, int *ret_len) {
        const char *end = text ? text + strlen(text) : NULL;
        while (end && end > text && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                end--;
        if (!end || end == text)
                return false;
        const char *start = end;
        while (start > text && start[-1] != '\n')
                start--;
        *ret = start;
        *ret_len = (int)(end - start);
        return true;
}

void health_reason(const struct health_check *c, char *buf, size_t size) {
        const char *line = "";
        int len = 0;
        bool printed = last_line(c->output, &line, &len);
        if (c->state == CHECK_SKIPPED)
                snprintf(buf, size, "check `%s` skipped: %.*s", c->name, len, line);
        else if (!failed(c))
                snprintf(buf, size, "%s", "");
        else if (c->state == CHECK_TIMED_OUT)
                snprintf(buf, size, "check `%s` failed: no result within %u%s (it hangs)", c->name,
                         c->timeout_ms % 1000 ? c->timeout_ms : c->timeout_ms / 1000,
                         c->timeout_ms % 1000 ? "ms" : "s");
        else if (c->state == CHECK_NOT_RUN)
                snprintf(buf, size, "check `%s` failed: could not be started", c->name);
        else if (printed)
                snprintf(buf, size, "check `%s` failed: %.*s", c->name, len, line);
        else if (WIFSIGNALED(c->wait_status))
                snprintf(buf, size, "check `%s` failed: killed by signal %d", c->name,
                         WTERMSIG(c->wait_status));
        else
                snprintf(buf, size, "check `%s` failed: exit status %d", c->name,
                         WEXITSTATUS(c->wait_status));
}

void health_run_reason(const struct health_run *run, char *buf, size_t size) {
        snprintf(buf, size, "%s", "");
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < run->n; i++)
                        if (failed(&run->checks[i]) && run->checks[i].required == (pass == 0)) {
                                health_reason(&run->checks[i], buf, size);
                                return;
                        }
}

/* Appends " (a, b)" naming the checks in state want (failed ones when want is CHECK_FAILED). */
static void append_names(const struct health_run *run, enum health_state want, char *buf, size_t size) {
        const char *sep = " (";
        for (size_t i = 0; i < run->n; i++) {
                const struct health_check *c = &run->checks[i];
                if (want == CHECK_FAILED ? !failed(c) : c->state != want)
                        continue;
                size_t n = strlen(buf);
                snprintf(buf + n, size - n, "%s%s", sep, c->name);
                sep = ", ";
        }
        size_t n = strlen(buf);
        if (*sep == ',')
                snprintf(buf + n, size - n, ")");
}

void health_run_summary(const struct health_run *run, char *buf, size_t size) {
        size_t passed = 0, skipped = 0, bad = 0;
        for (size_t i = 0; i < run->n; i++) {
                passed += run->checks[i].state == CHECK_PASSED;
                skipped += run->checks[i].state == CHECK_SKIPPED;
                bad += failed(&run->checks[i]);
        }
        snprintf(buf, size, "health: %zu passed", passed);
        if (skipped) {
                size_t n = strlen(buf);
                snprintf(buf + n, size - n, ", %zu skipped", skipped);
                append_names(run, CHECK_SKIPPED, buf, size);
        }
        if (bad) {
                char reason[256];
                size_t n = strlen(buf);
                snprintf(buf + n, size - n, ", %zu failed", bad);
                if (bad > 1)
                        append_names(run, CHECK_FAILED, buf, size);
                health_run_reason(run, reason, sizeof reason);
                n = strlen(buf);
                snprintf(buf + n, size - n, ": %s", reason);
        }
}

enum health_boot_action health_boot_action(enum health_verdict v, bool counting) {
        if (v == HEALTH_OK)
                return BOOT_ACTION_NONE;
        if (v == HEALTH_FAILED && counting)
                return BOOT_ACTION_MARK_BAD;
        return BOOT_ACTION_WARN;
}
