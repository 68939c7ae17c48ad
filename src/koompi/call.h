/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Exit codes of koompi, documented in koompi(1). */
enum {
        KOOMPI_EXIT_OK = 0,
        KOOMPI_EXIT_USAGE = 1,
        KOOMPI_EXIT_UNREACHABLE = 2, /* no agent, no bus, no answer in time, no such alert */
        KOOMPI_EXIT_NOT_ALLOWED = 3,
        KOOMPI_EXIT_UNHEALTHY = 4, /* health: a required check failed */
        KOOMPI_EXIT_NO_ROOM = 4, /* update apply: no room for the release */
        KOOMPI_EXIT_FAILED = 5, /* the agent tried and failed */
        KOOMPI_EXIT_REFUSED = 6, /* update: the manifest or a package was refused, or the update failed */
};

struct koompi_bus {
        sd_bus *bus;
        uint64_t timeout_us; /* per call */
        bool dispatch; /* the bus's other messages (signals a caller watches) are handled while a call waits */
};

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS when set). An exit code; on failure the
 * message is printed. */
int kbus_open(struct koompi_bus *b, uint64_t timeout_us);
void kbus_close(struct koompi_bus *b);
/* Calls method of org.koompi.Agent1 with the arguments in types/... and its reply in *ret.
 * When the agent goes away mid-call (a restart), the call is made once more after it is back
 * (a few seconds at most). An exit code; on failure the message, naming what to do, is
 * printed. */
int kbus_call(struct koompi_bus *b, const char *method, sd_bus_message **ret, const char *types, ...);

/* Sends m, a call built by the caller (kbus_call() builds its own), and waits for its reply,
 * handling the bus's other messages meanwhile when b->dispatch is set (the Progress signals a
 * caller follows). Prints nothing and asks nothing again: 0 with *ret, or a negative errno, err
 * holding the agent's error when it answered with one. For callers whose errors mean more than
 * kbus_call() tells (a refusal carrying what to confirm) or that must not be repeated. */
int kbus_send(struct koompi_bus *b, sd_bus_message *m, sd_bus_message **ret, sd_bus_error *err);

/* The exit code of a request the agent refused or failed, from its positive errno, as the
 * project's table maps it (koompi(1)). */
int koompi_exit_from_errno(int e);
