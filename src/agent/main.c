/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi-agent: the post-boot service behind org.koompi.Agent1. One sd-event loop; nothing
 * runs unless a caller, a child or a timer asks. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "afterapply.h"
#include "agent.h"
#include "log.h"
#include "updateoutcome.h"
#include "util.h"

struct options {
        const char *config;
        const char *top;
        const char *esp;
        const char *state;
        const char *state_dir;
};

static void usage(FILE *f) {
        fputs("Usage: koompi-agent [OPTIONS]\n\n"
              "The KOOMPI agent: org.koompi.Agent1 on the system bus (DBUS_SYSTEM_BUS_ADDRESS when set).\n\n"
              "Options:\n"
              "  --config FILE      settings (default " DEFAULT_AGENT_CONFIG ")\n"
              "  --top DIR          the mounted Btrfs top level, handed to koompi-boot\n"
              "  --esp DIR          the mounted ESP, handed to koompi-boot\n"
              "  --state FILE       koompi-init's record of this boot, handed to koompi-boot\n"
              "  --state-dir DIR    the agent's own files (default " DEFAULT_STATE_DIR ")\n"
              "  -h, --help         this help\n"
              "\n"
              "Exit codes: 0 stopped by SIGTERM or SIGINT; 1 bad usage; 2 the bus could not be reached or\n"
              "the name org.koompi.Agent1 is taken; 5 the event loop failed.\n",
              f);
}

/* 0 on success, 1 with a message on bad usage, -1 when help was printed. */
static int parse_options(int argc, char **argv, struct options *o) {
        enum { ARG_CONFIG = 0x100, ARG_TOP, ARG_ESP, ARG_STATE, ARG_STATE_DIR };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, ARG_CONFIG },
                { "top", required_argument, NULL, ARG_TOP },
                { "esp", required_argument, NULL, ARG_ESP },
                { "state", required_argument, NULL, ARG_STATE },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;
        *o = (struct options) { .config = DEFAULT_AGENT_CONFIG, .state_dir = DEFAULT_STATE_DIR };
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case ARG_CONFIG:
                        o->config = optarg;
                        break;
                case ARG_TOP:
                        o->top = optarg;
                        break;
                case ARG_ESP:
                        o->esp = optarg;
                        break;
                case ARG_STATE:
                        o->state = optarg;
                        break;
                case ARG_STATE_DIR:
                        o->state_dir = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return -1;
                default:
                        usage(stderr);
                        return 1;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument '%s' (koompi-agent takes options only)", argv[optind]);
                return 1;
        }
        return 0;
}

static void load_config(struct agent *a, const char *path) {
        agentconf_defaults(&a->config);
        int r = agentconf_load(&a->config, path);
        if (r == -ENOENT)
                log_info("%s is missing: every setting is its default", path);
        /* The agent starts anyway: a bad key costs that key, and `koompi status` shows it. */
        for (unsigned i = 0; i < a->config.n_problems; i++)
                log_warning("%s", a->config.problems[i]);
}

static int run(struct agent *a) {
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        int r = sd_event_default(&a->event);
        if (r >= 0)
                r = sd_event_add_signal(a->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(a->event, NULL, SIGINT, NULL, NULL);
        /* WATCHDOG=1 at half of WatchdogSec= when systemd asks for it. */
        if (r >= 0)
                r = sd_event_set_watchdog(a->event, true);
        if (r < 0)
                return log_errno(r, "setting up the event loop failed"), 5;
        agent_refresh_now(a);
        if (a->facts_error)
                log_warning("the root facts are not available: %s", a->facts_error);
        r = bus_setup(a);
        if (r < 0)
                return log_errno(
                               r,
                               "taking %s on the system bus failed (is the bus up? does another agent run?)",
                               AGENT_BUS_NAME),
                       2;
        update_outcome_facts(a);
        update_reports_send(a);
        sd_notify(0, "READY=1\nSTATUS=Serving " AGENT_BUS_NAME);
        log_info("serving %s (version %s)", AGENT_BUS_NAME, AGENT_VERSION);
        r = sd_event_loop(a->event);
        sd_notify(0, "STOPPING=1");
        return r < 0 ? (log_errno(r, "the event loop failed"), 5) : 0;
}

int main(int argc, char **argv) {
        struct options o;
        struct agent a = { .report_fd = -1 };
        log_init("koompi-agent");
        int r = parse_options(argc, argv, &o);
        if (r != 0)
                return r < 0 ? 0 : 1;
        load_config(&a, o.config);
        a.config_path = o.config;
        a.state_dir = o.state_dir;
        a.source = (struct rootfacts_source) { .koompi_boot = a.config.koompi_boot,
                                               .top = o.top,
                                               .esp = o.esp,
                                               .state = o.state,
                                               .timeout_ms = 10000 };
        r = run(&a);
        bus_done(&a);
        agentconf_free(&a.config);
        sd_event_unref(a.event);
        return r;
}
