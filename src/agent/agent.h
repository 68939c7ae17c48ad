/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "agentconf.h"
#include "healthrun.h"
#include "rootfacts.h"

#define AGENT_VERSION "0.1.0"
#define AGENT_BUS_NAME "org.koompi.Agent1"
#define AGENT_OBJECT_PATH "/org/koompi/Agent1"
#define AGENT_INTERFACE "org.koompi.Agent1"
#define AGENT_MAX_WAITERS 16

/* The daemon's whole state, one per process. */
struct agent {
        sd_event *event;
        sd_bus *bus;
        sd_bus_slot *vtable_slot;
        struct agent_config config;
        const char *state_dir;
        struct rootfacts_source source;
        struct root_facts facts; /* the last answer; empty when facts_error says why */
        char *facts_error;
        uint64_t newest_alert; /* the highest alert seq already announced */
        struct healthrun *health; /* the running or the last run, NULL before the first */
        bool health_running;
        sd_bus_message *health_waiters[AGENT_MAX_WAITERS]; /* RunHealth calls to answer */
        unsigned n_health_waiters;
};

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS when set), publishes the object and
 * takes the name. 0 or a negative errno. */
int bus_setup(struct agent *a);
/* Reads the root facts again; announces alerts not seen before (AlertRaised) and changed
 * properties when announce is set. */
void agent_refresh(struct agent *a, bool announce);
void bus_done(struct agent *a);

/* The JSON of GetStatus: version, roots, health, alerts, problems, koompi-boot's status. */
char *status_json(const struct agent *a);
/* The JSON of the health part alone. */
json_object *status_health(const struct agent *a);

/* Whether polkitd is on the bus. */
bool polkit_present(sd_bus *bus);
/* Asks polkitd whether the sender of m may do action (interactive when the caller allowed
 * it). 1 allowed, 0 not, negative errno when polkitd could not answer. */
int polkit_check(sd_bus *bus, sd_bus_message *m, const char *action);
