/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's only conversation with polkitd (org.freedesktop.PolicyKit1). */
#include "agent.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"

bool polkit_present(sd_bus *bus) {
        sd_bus_message *reply = NULL;
        int has = 0,
            r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s", POLKIT_NAME);
        if (r >= 0 && sd_bus_message_read(reply, "b", &has) < 0)
                has = 0;
        sd_bus_message_unref(reply);
        return r >= 0 && has;
}

int polkit_check(sd_bus *bus, sd_bus_message *m, const char *action) {
        sd_bus_message *call = NULL, *reply = NULL;
        /* polkit may ask the caller's agent for a password only when the caller said so. */
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(m) ? 1 : 0;
        int allowed = 0, challenge = 0;
        int r = sd_bus_message_new_method_call(bus, &call, POLKIT_NAME,
                                               "/org/freedesktop/PolicyKit1/Authority",
                                               "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s",
                                          sd_bus_message_get_sender(m), action, 0, flags, "");
        if (r >= 0)
                r = sd_bus_call(bus, call, 25 * 1000000ULL, NULL, &reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &allowed, &challenge);
        sd_bus_message_unref(call);
        sd_bus_message_unref(reply);
        return r < 0 ? r : allowed ? 1 : 0;
}
