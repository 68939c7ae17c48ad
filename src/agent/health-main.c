/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-health: the health checks of this boot, once, before boot-complete.target. A required
 * check that fails on a boot on trial marks it bad, so that after a reboot the boot counter
 * falls back to the previous good root by itself. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "agent.h"
#include "ledger.h"
#include "log.h"
#include "util.h"

enum {
        HEALTH_EXIT_OK = 0, /* healthy, or only warnings */
        HEALTH_EXIT_USAGE = 1,
        HEALTH_EXIT_MARKED_BAD = 4,
        HEALTH_EXIT_MARK_FAILED = 5,
};

struct options {
        const char *config, *top, *esp, *state, *state_dir, *entry, *mountinfo;
        unsigned countdown_s;
};

static void usage(FILE *f) {
        fputs("Usage: koompi-health [OPTIONS]\n\n"
              "Runs the health checks of this boot once; a failed required check on a boot on trial marks\n"
              "it bad (koompi-boot mark-bad).\n\n"
              "Options:\n"
              "  --config FILE      settings (default " DEFAULT_AGENT_CONFIG ")\n"
              "  --top DIR, --esp DIR, --state FILE   handed to koompi-boot\n"
              "  --entry FILE       the booted entry, handed to koompi-boot mark-bad\n"
              "  --state-dir DIR    where health.json goes (default " DEFAULT_STATE_DIR ")\n"
              "  --mountinfo FILE   the mount table the mount checks read (default /proc/self/mountinfo)\n"
              "  --countdown SEC    seconds shown before the reboot of a bad boot (default 10)\n"
              "  -h, --help         this help\n\n"
              "Exit codes: 0 healthy, or a failure that only warns; 1 bad usage; 4 a required check failed\n"
              "and the boot was marked bad; 5 it failed but could not be marked bad.\n",
              f);
}

/* 0 to go on, else an exit code (-1: help printed). */
static int parse_options(int argc, char **argv, struct options *o) {
        enum {
                ARG_CONFIG = 0x100,
                ARG_TOP,
                ARG_ESP,
                ARG_STATE,
                ARG_STATE_DIR,
                ARG_ENTRY,
                ARG_MOUNTINFO,
                ARG_COUNTDOWN
        };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, ARG_CONFIG },
                { "top", required_argument, NULL, ARG_TOP },
                { "esp", required_argument, NULL, ARG_ESP },
                { "state", required_argument, NULL, ARG_STATE },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "entry", required_argument, NULL, ARG_ENTRY },
                { "mountinfo", required_argument, NULL, ARG_MOUNTINFO },
                { "countdown", required_argument, NULL, ARG_COUNTDOWN },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char **field[] = { &o->config,    &o->top,   &o->esp,      &o->state,
                                 &o->state_dir, &o->entry, &o->mountinfo };
        int c;
        *o = (struct options) { .config = DEFAULT_AGENT_CONFIG,
                                .state_dir = DEFAULT_STATE_DIR,
                                .countdown_s = 10 };
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                if (c >= ARG_CONFIG && c <= ARG_MOUNTINFO)
                        *field[c - ARG_CONFIG] = optarg;
                else if (c == ARG_COUNTDOWN && parse_uint(optarg, &o->countdown_s) == 0)
                        continue;
                else if (c == 'h')
                        return usage(stdout), -1;
                else
                        return usage(stderr), HEALTH_EXIT_USAGE;
        }
        if (optind < argc)
                return log_error("unexpected argument '%s'", argv[optind]), HEALTH_EXIT_USAGE;
        return 0;
}

static void on_check(const struct health_check *c, size_t finished, size_t total, void *userdata) {
        char reason[512];
        health_reason(c, reason, sizeof reason);
        if (c->state == CHECK_SKIPPED)
                log_notice("%s", reason);
        else if (*reason)
                log_msg(c->required ? LOG_LVL_ERR : LOG_LVL_WARNING, "%s", reason);
        else
                log_info("check `%s` passed", c->name);
}

static void on_done(struct healthrun *hr, void *userdata) {
        sd_event_exit(userdata, 0);
}

static const struct healthrun_ops ops = { .progress = on_check, .done = on_done };

/* Runs every check to its end. 0 with the run in *ret, or a negative errno. */
static int run_checks(const struct agent_config *conf, const struct builtin_env *env,
                      struct healthrun **ret) {
        sd_event *e = NULL;
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        int r = sd_event_default(&e);
        if (r >= 0)
                r = healthrun_start(ret, e, conf, env, &ops, e);
        if (r >= 0)
                r = sd_event_loop(e);
        sd_event_unref(e);
        return r;
}

/* Whether this boot is on trial. Unknown counts as not: nothing is marked bad on a guess. */
static bool boot_counting(const struct rootfacts_source *src) {
        struct root_facts facts;
        _cleanup_free_ char *error = NULL;
        if (rootfacts_read(src, &facts, &error) < 0) {
                log_warning("whether this boot is on trial is unknown (%s): nothing will be marked bad",
                            error);
                return false;
        }
        bool counting = facts.counting;
        rootfacts_free(&facts);
        return counting;
}

/* The visible part of a bad boot: what failed, and the seconds before the reboot the unit's
 * FailureAction= does. */
static void count_down(const char *reason, unsigned seconds) {
        const struct timespec second = { .tv_sec = 1 };
        log_error("this boot is bad: %s", reason);
        log_error("the machine restarts to fall back to the previous good root");
        for (unsigned left = seconds; left > 0; left--) {
                log_notice("restarting in %u s", left);
                nanosleep(&second, NULL);
        }
}

/* The run's results as this boot's note in the ledger; a boot not started by koompi-init has no
 * record to hold them, which is only worth a notice. */
static void keep_results(const struct health_run *run, const struct rootfacts_source *src) {
        char summary[LEDGER_NOTE_MAX + 1];
        _cleanup_free_ char *error = NULL;
        health_run_summary(run, summary, sizeof summary);
        if (rootfacts_note(src, summary, &error) < 0)
                log_notice("the results are not in the ledger: %s", error);
}

/* A required check failed where nothing counts: the admin hears of it. */
static void raise_alert(const struct rootfacts_source *src, const char *reason) {
        char text[LEDGER_NOTE_MAX + 1];
        _cleanup_free_ char *error = NULL;
        snprintf(text, sizeof text, "%.160s (this root is blessed: it was kept)", reason);
        if (rootfacts_raise_alert(src, "health", text, &error) < 0)
                log_error("raising the alert failed: %s", error);
}

static int act(const struct health_run *run, const struct rootfacts_source *src, unsigned countdown_s) {
        char reason[512];
        _cleanup_free_ char *error = NULL;
        enum health_verdict v = health_verdict(run);
        health_run_reason(run, reason, sizeof reason);
        switch (health_boot_action(v, v == HEALTH_FAILED && boot_counting(src))) {
        case BOOT_ACTION_NONE:
                log_info("healthy: %zu checks passed", run->n);
                keep_results(run, src);
                return HEALTH_EXIT_OK;
        case BOOT_ACTION_WARN:
                if (v == HEALTH_FAILED) {
                        log_warning(
                                "%s; this boot is not on trial (its root is blessed): nothing is marked bad",
                                reason);
                        raise_alert(src, reason);
                } else
                        log_warning("%s (a wanted check: only a warning)", reason);
                keep_results(run, src);
                return HEALTH_EXIT_OK;
        case BOOT_ACTION_MARK_BAD:
                break;
        }
        int r = rootfacts_mark_bad(src, reason, &error);
        if (r < 0)
                log_error("marking this boot bad failed: %s", error);
        count_down(reason, countdown_s);
        return r < 0 ? HEALTH_EXIT_MARK_FAILED : HEALTH_EXIT_MARKED_BAD;
}

int main(int argc, char **argv) {
        struct options o;
        struct agent_config conf;
        struct healthrun *hr = NULL;
        log_init("koompi-health");
        int r = parse_options(argc, argv, &o);
        if (r != 0)
                return r < 0 ? HEALTH_EXIT_OK : r;
        agentconf_defaults(&conf);
        agentconf_load(&conf, o.config);
        for (unsigned i = 0; i < conf.n_problems; i++)
                log_warning("%s", conf.problems[i]);
        struct rootfacts_source src = { .koompi_boot = conf.koompi_boot,
                                        .top = o.top,
                                        .esp = o.esp,
                                        .state = o.state,
                                        .entry = o.entry,
                                        .timeout_ms = 30000 };
        const struct builtin_env env = { .mountinfo = o.mountinfo, .boot_json = o.state, .top = o.top };
        r = run_checks(&conf, &env, &hr);
        if (r < 0) {
                /* Not a verdict on the boot: nothing was checked. */
                log_errno(r, "the health checks could not be run");
                healthrun_free(hr);
                agentconf_free(&conf);
                return HEALTH_EXIT_OK;
        }
        json_object *health = health_run_json(healthrun_checks(hr), true, false);
        if (health_json_save(o.state_dir, health) < 0)
                log_warning("writing %s/health.json failed", o.state_dir);
        json_object_put(health);
        r = act(healthrun_checks(hr), &src, o.countdown_s);
        healthrun_free(hr);
        agentconf_free(&conf);
        return r;
}
