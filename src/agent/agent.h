/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "agentconf.h"
#include "healthrun.h"
#include "rootfacts.h"
#include "updateapply.h"
#include "updatecheck.h"

#define AGENT_VERSION "0.1.0"
#define AGENT_BUS_NAME "org.koompi.Agent1"
#define AGENT_OBJECT_PATH "/org/koompi/Agent1"
#define AGENT_INTERFACE "org.koompi.Agent1"
#define AGENT_MAX_WAITERS 16
/* The defaults of --config and --state-dir, for koompi-agent and koompi-health alike. */
#define DEFAULT_AGENT_CONFIG "/etc/koompi/agent.conf"
#define DEFAULT_STATE_DIR "/var/lib/koompi"

struct polkit_query;
struct pkgcall;

/* The daemon's whole state, one per process. */
struct agent {
        sd_event *event;
        sd_bus *bus;
        sd_bus_slot *vtable_slot;
        struct agent_config config;
        const char *config_path; /* handed to the package workers */
        const char *state_dir;
        struct rootfacts_source source;
        struct root_facts facts; /* the last answer; empty when facts_error says why */
        char *facts_error;
        uint64_t newest_alert; /* the highest alert seq already announced */
        bool refreshing, refresh_again; /* a read of the facts runs; another is wanted after it */
        sd_bus_message *status_waiters[AGENT_MAX_WAITERS]; /* GetStatus calls to answer */
        unsigned n_status_waiters;
        sd_event_source *ledger_watch;
        bool ledger_watch_failed; /* said once; not tried again */
        char ledger_name[256]; /* the ledger's file name in the watched directory */
        struct healthrun *health; /* the running or the last run, NULL before the first */
        bool health_running;
        sd_bus_message *health_waiters[AGENT_MAX_WAITERS]; /* RunHealth calls to answer */
        unsigned n_health_waiters;
        struct polkit_query *polkit_queries; /* questions to polkitd and their answers */
        struct updatecheck *update_check; /* the running release check, NULL when none */
        sd_event_source *update_timer; /* the periodic check, NULL without a mirror */
        sd_bus_message *update_waiters[AGENT_MAX_WAITERS]; /* UpdateCheck calls to answer */
        unsigned n_update_waiters;
        struct updateapply *update_apply; /* the running application of a release, NULL when none */
        sd_bus_message *apply_waiters[AGENT_MAX_WAITERS]; /* UpdateApply calls to answer */
        unsigned n_apply_waiters;
        struct pkgcall *pkgcalls; /* the package requests running */
        /* Update outcomes sent to [update] report_url (updateoutcome.c): the sending child. */
        pid_t report_pid;
        int report_fd;
        sd_event_source *report_child;
        /* The restart into an applied release (afterapply.c): its root, its release, the last
         * decision, and the timer that asks again. */
        char *reboot_root, *reboot_version;
        char reboot_reason[160];
        sd_event_source *reboot_timer;
        bool revoking; /* a rollback for a revoked release runs (revokerun.c) */
};

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS when set), publishes the object and
 * takes the name. 0 or a negative errno. */
int bus_setup(struct agent *a);
void bus_done(struct agent *a);

/* The root facts (facts.c). agent_refresh_now() reads them, blocking, at start (nothing is
 * announced). agent_refresh() starts a read without blocking (or asks for one more after the
 * running one); when it ends, alerts not seen before are announced (AlertRaised), changed
 * properties too, and the GetStatus callers waiting are answered. */
void agent_refresh_now(struct agent *a);
void agent_refresh(struct agent *a);
/* GetStatus: m is answered after the next read. 0, or -EBUSY when too many wait. */
int agent_wait_status(struct agent *a, sd_bus_message *m);
/* Reads the facts again whenever the ledger koompi-boot reported is replaced (set up by the
 * first read that succeeds). 0, -ENOENT when its path is unknown, or another negative errno
 * (logged). */
int agent_watch_ledger(struct agent *a);
/* Drops the waiting callers, the watch and the facts (the agent stops). */
void agent_facts_done(struct agent *a);
const char *agent_alert_field(json_object *alert, const char *key);
uint64_t agent_alert_seq(json_object *alert);

/* The JSON of GetStatus: version, roots, health, alerts, problems, koompi-boot's status. */
char *status_json(const struct agent *a);
/* The JSON of the health part alone: the agent's last run, else the one koompi-health left in
 * the state folder, else "unknown" with no check. */
json_object *status_health(const struct agent *a);
/* The JSON of a run of the checks: state (unknown when it has not run, running, or its
 * verdict), reason, and each check. */
json_object *health_run_json(const struct health_run *run, bool ran, bool running);
/* Writes it to STATE_DIR/health.json (atomically), with this boot's id added to it. 0 or a
 * negative errno. */
int health_json_save(const char *state_dir, json_object *health);

/* Whether polkitd is on the bus. */
bool polkit_present(sd_bus *bus);
/* Asks polkitd, without waiting, whether the sender of m may do action (interactively when the
 * caller allowed it). When the answer comes, m is dispatched again, and its method finds the
 * answer with polkit_result(). 0, or a negative errno when the question could not be sent. */
int polkit_ask(struct agent *a, sd_bus_message *m, const char *action);
/* polkit's answer about m, forgotten once read: 1 allowed, 0 not, a negative errno when polkitd
 * did not answer; -EINPROGRESS while it is still deciding; -ENOENT when nobody asked. */
int polkit_result(struct agent *a, sd_bus_message *m);
/* Drops every question (the agent stops). */
void polkit_forget_all(struct agent *a);
