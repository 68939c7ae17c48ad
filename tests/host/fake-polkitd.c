/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for polkitd on a test bus: takes org.freedesktop.PolicyKit1 and answers every
 * CheckAuthorization with ANSWER (yes or no) after DELAY_MS, printing "asked ACTION" for each
 * and "ready" once it serves. Usage: fake-polkitd yes|no DELAY_MS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

static int allow;
static uint64_t delay_us;

/* A one-shot timer: the loop keeps its (floating) source. */
static int answer_now(sd_event_source *s, uint64_t usec, void *userdata) {
        sd_bus_message *m = userdata;
        sd_bus_reply_method_return(m, "(bba{ss})", allow, 0, 0);
        sd_bus_message_unref(m);
        return 0;
}

static int check_authorization(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        const char *action;
        uint64_t now;
        int r = sd_bus_message_skip(m, "(sa{sv})");
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &action);
        if (r < 0)
                return r;
        printf("asked %s\n", action);
        fflush(stdout);
        sd_event_now(sd_bus_get_event(sd_bus_message_get_bus(m)), CLOCK_MONOTONIC, &now);
        r = sd_event_add_time(sd_bus_get_event(sd_bus_message_get_bus(m)), NULL, CLOCK_MONOTONIC,
                              now + delay_us, 0, answer_now, sd_bus_message_ref(m));
        /* Handled: the answer comes later. */
        return r < 0 ? r : 1;
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", check_authorization,
                      SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int main(int argc, char **argv) {
        sd_event *e = NULL;
        sd_bus *bus = NULL;
        if (argc != 3)
                return 1;
        allow = strcmp(argv[1], "yes") == 0;
        delay_us = strtoull(argv[2], NULL, 10) * 1000;
        int r = sd_event_default(&e);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/PolicyKit1/Authority",
                                             "org.freedesktop.PolicyKit1.Authority", vtable, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, 0);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.PolicyKit1", 0);
        if (r < 0) {
                fprintf(stderr, "fake-polkitd: %s\n", strerror(-r));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        return sd_event_loop(e) < 0;
}
