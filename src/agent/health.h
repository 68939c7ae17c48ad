/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The health checks of one run: scripts from health.d/required and health.d/wanted, all started
 * at once, each with its own deadline. A check that passes its deadline has failed (it hangs);
 * the machine has not. Pure bookkeeping: the runner starts, kills and reaps the processes. */
enum health_state {
        CHECK_PENDING,
        CHECK_RUNNING,
        CHECK_PASSED,
        CHECK_FAILED, /* exited non-zero or killed */
        CHECK_TIMED_OUT, /* still running at its deadline */
        CHECK_NOT_RUN, /* could not be started */
        CHECK_SKIPPED, /* a built-in check that cannot apply here (its output says why) */
};

enum health_verdict {
        HEALTH_UNKNOWN, /* no run finished yet */
        HEALTH_OK, /* every check passed */
        HEALTH_DEGRADED, /* a wanted check failed */
        HEALTH_FAILED, /* a required check failed: the boot is bad */
};

struct health_check {
        char *name; /* the script's file name */
        char *path;
        bool required;
        unsigned timeout_ms;
        enum health_state state;
        uint64_t deadline_ms;
        int wait_status; /* as waitpid() gives it, when it ended */
        char *output; /* the last part of what it printed */
        pid_t pid;
};

struct health_run {
        struct health_check *checks;
        size_t n;
};

/* Whether a file in health.d is a check: not hidden, not a package manager's or an editor's
 * leftover (.pacnew, .pacsave, .dpkg-*, ~, .bak, .disabled). */
bool health_is_check_name(const char *name);
/* Adds a pending check (copies name and path). */
void health_add(struct health_run *run, const char *name, const char *path, bool required,
                unsigned timeout_ms);
/* Adds a check that already has its result (a built-in one): state, and output saying what
 * it found (copied; for a failed check its reason). */
void health_add_result(struct health_run *run, const char *name, bool required, enum health_state state,
                       const char *output);
/* Orders the checks by name, required ones first, so results read the same every run. */
void health_sort(struct health_run *run);
void health_free(struct health_run *run);
/* Records that c was started at now_ms as pid. */
void health_started(struct health_check *c, pid_t pid, uint64_t now_ms);
/* The earliest deadline of a running check, or UINT64_MAX when none runs. */
uint64_t health_next_deadline(const struct health_run *run);
/* Marks every running check whose deadline is at or before now_ms timed out (the runner then
 * kills it). Returns how many were marked. */
unsigned health_expire(struct health_run *run, uint64_t now_ms);
/* Records how c ended: wait_status as waitpid() gives it, output what it printed (may be
 * NULL). A check already timed out stays timed out. Exit status HEALTH_EXIT_SKIPPED means
 * skipped (a built-in check that cannot apply here). */
#define HEALTH_EXIT_SKIPPED 77
void health_ended(struct health_check *c, int wait_status, const char *output);
/* Whether no check is pending or running. */
bool health_done(const struct health_run *run);
/* The verdict of a finished run (HEALTH_UNKNOWN when it is not done or has no run). */
enum health_verdict health_verdict(const struct health_run *run);
const char *health_verdict_name(enum health_verdict v);
const char *health_state_name(enum health_state s);
/* Why check c failed, for the ledger, an alert and `koompi health`:
 * "check `home-mounted` failed: /home is not mounted" (the last line it printed), or its exit
 * status, signal or timeout when it printed nothing; "check `units` skipped: WHY" for a
 * skipped one. Empty for a check that passed. */
void health_reason(const struct health_check *c, char *buf, size_t size);
/* The reason of the first failed required check, else of the first failed wanted one; empty
 * when none failed. */
void health_run_reason(const struct health_run *run, char *buf, size_t size);
/* One line for the boot's note in the ledger, naming every check that did not pass:
 * "health: 5 passed, 1 skipped (units), 1 failed: check `home-mounted` failed: /home is not
 * mounted". A run where all passed gives "health: 6 passed". */
void health_run_summary(const struct health_run *run, char *buf, size_t size);

/* What the per-boot run does with its verdict. */
enum health_boot_action {
        BOOT_ACTION_NONE, /* every check passed */
        BOOT_ACTION_WARN, /* a wanted check failed, or a required one where nothing counts */
        BOOT_ACTION_MARK_BAD, /* a required check failed on a boot on trial: it is bad */
};

/* A failed required check marks the boot bad only while the boot loader (or the ledger) counts
 * its tries: a root already blessed stays, with a warning. */
enum health_boot_action health_boot_action(enum health_verdict v, bool counting);
