/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* koompi's only conversation: calls to org.koompi.Agent1, and what a failed one means to the
 * person who typed the command. */
#include "call.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define AGENT_NAME "org.koompi.Agent1"
#define AGENT_PATH "/org/koompi/Agent1"
/* How long a restarted agent gets to take its name again. */
#define RESTART_WAIT_MS 5000u

static uint64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int kbus_open(struct koompi_bus *b, uint64_t timeout_us) {
        *b = (struct koompi_bus) { .timeout_us = timeout_us };
        int r = sd_bus_open_system(&b->bus);
        if (r < 0) {
                fprintf(stderr,
                        "koompi: the system bus cannot be reached (%s): is dbus running? "
                        "systemctl status dbus\n",
                        strerror(-r));
                return KOOMPI_EXIT_UNREACHABLE;
        }
        return KOOMPI_EXIT_OK;
}

void kbus_close(struct koompi_bus *b) {
        b->bus = sd_bus_flush_close_unref(b->bus);
}

static bool agent_present(sd_bus *bus) {
        sd_bus_message *reply = NULL;
        int has = 0,
            r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s", AGENT_NAME);
        if (r >= 0 && sd_bus_message_read(reply, "b", &has) < 0)
                has = 0;
        sd_bus_message_unref(reply);
        return r >= 0 && has;
}

/* Waits, a bounded number of short steps, for a restarted agent to own its name again. */
static bool wait_for_agent(sd_bus *bus) {
        const struct timespec step = { .tv_nsec = 100 * 1000000 };
        for (unsigned i = 0; i < RESTART_WAIT_MS / 100; i++) {
                if (agent_present(bus))
                        return true;
                nanosleep(&step, NULL);
        }
        return false;
}

static bool is_gone(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

/* The message and exit code for a call that failed; err from the bus, elapsed how long it took. */
static int explain(const struct koompi_bus *b, const char *method, const sd_bus_error *err, int r,
                   uint64_t elapsed) {
        if (is_gone(err)) {
                fprintf(stderr, "koompi: koompi-agent is not running: systemctl start koompi-agent\n");
                return KOOMPI_EXIT_UNREACHABLE;
        }
        if (sd_bus_error_has_name(err, SD_BUS_ERROR_ACCESS_DENIED)) {
                fprintf(stderr, "koompi: %s\n", err->message ? err->message : "not allowed");
                return KOOMPI_EXIT_NOT_ALLOWED;
        }
        if (r == -ETIMEDOUT && elapsed >= b->timeout_us) {
                fprintf(stderr,
                        "koompi: koompi-agent did not answer %s within %llu s: "
                        "systemctl status koompi-agent (or try again with a longer --timeout)\n",
                        method, (unsigned long long)(b->timeout_us / 1000000));
                return KOOMPI_EXIT_UNREACHABLE;
        }
        if (sd_bus_error_has_name(err, "org.koompi.Agent1.Error.NoSuchAlert")) {
                fprintf(stderr, "koompi: %s: koompi alerts lists them\n", err->message);
                return KOOMPI_EXIT_UNREACHABLE;
        }
        fprintf(stderr, "koompi: %s failed: %s\n", method, err->message ? err->message : strerror(-r));
        return KOOMPI_EXIT_FAILED;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        *(sd_bus_message **)userdata = sd_bus_message_ref(m);
        return 1;
}

/* sd_bus_call(), with the bus's other messages handled while it waits. */
static int call_dispatching(sd_bus *bus, sd_bus_message *m, uint64_t timeout_us, sd_bus_error *err,
                            sd_bus_message **ret) {
        sd_bus_message *reply = NULL;
        sd_bus_slot *slot = NULL;
        int r = sd_bus_call_async(bus, &slot, m, on_reply, &reply, timeout_us);
        while (r >= 0 && !reply) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        /* A call given up on must not answer into this frame later. */
        sd_bus_slot_unref(slot);
        if (r < 0)
                return r;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                r = sd_bus_error_copy(err, sd_bus_message_get_error(reply));
                sd_bus_message_unref(reply);
                return r;
        }
        *ret = reply;
        return 0;
}

int kbus_send(struct koompi_bus *b, sd_bus_message *m, sd_bus_message **ret, sd_bus_error *err) {
        /* polkit may ask for a password through the caller's authentication agent. */
        int r = sd_bus_message_set_allow_interactive_authorization(m, true);
        if (r < 0)
                return r;
        return b->dispatch ? call_dispatching(b->bus, m, b->timeout_us, err, ret)
                           : sd_bus_call(b->bus, m, b->timeout_us, err, ret);
}

static int call_once(struct koompi_bus *b, const char *method, sd_bus_message **ret, sd_bus_error *err,
                     const char *types, va_list ap) {
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(b->bus, &m, AGENT_NAME, AGENT_PATH, AGENT_NAME, method);
        if (r >= 0 && types)
                r = sd_bus_message_appendv(m, types, ap);
        if (r >= 0)
                r = kbus_send(b, m, ret, err);
        sd_bus_message_unref(m);
        return r;
}

int kbus_call(struct koompi_bus *b, const char *method, sd_bus_message **ret, const char *types, ...) {
        for (int attempt = 0;; attempt++) {
                sd_bus_error err = SD_BUS_ERROR_NULL;
                va_list ap;
                uint64_t start = now_us();
                va_start(ap, types);
                int r = call_once(b, method, ret, &err, types, ap);
                va_end(ap);
                uint64_t elapsed = now_us() - start;
                if (r >= 0)
                        return KOOMPI_EXIT_OK;
                /* The bus answers for an agent that left without replying: it was stopped or
                 * restarted under the call. Asked once more, after it is back. */
                bool left = sd_bus_error_has_name(&err, SD_BUS_ERROR_NO_REPLY) && elapsed < b->timeout_us;
                if (left && attempt == 0) {
                        fprintf(stderr,
                                "koompi: koompi-agent stopped while answering %s; asking again once it is back\n",
                                method);
                        sd_bus_error_free(&err);
                        if (wait_for_agent(b->bus))
                                continue;
                        fprintf(stderr,
                                "koompi: koompi-agent did not come back within %u s: "
                                "systemctl status koompi-agent\n",
                                RESTART_WAIT_MS / 1000);
                        return KOOMPI_EXIT_UNREACHABLE;
                }
                int code = explain(b, method, &err, r, elapsed);
                sd_bus_error_free(&err);
                return code;
        }
}

/* The exit code of a request the agent refused or failed (koompi(1)): from the error's errno,
 * as the project's table maps it. */
int koompi_exit_from_errno(int e) {
        switch (e) {
        case EINVAL:
                return KOOMPI_EXIT_USAGE;
        case ENOENT:
        case ENODATA:
        case EBADMSG:
        case ENOMEDIUM:
                return KOOMPI_EXIT_UNREACHABLE;
        case EPERM:
        case EACCES:
        case EBUSY:
        case EEXIST:
        case ENOTEMPTY:
        case ECANCELED:
                return KOOMPI_EXIT_NOT_ALLOWED;
        case ENOSPC:
                return KOOMPI_EXIT_NO_ROOM;
        case ECHILD:
                return KOOMPI_EXIT_REFUSED;
        default:
                return KOOMPI_EXIT_FAILED;
        }
}
