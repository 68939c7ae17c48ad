/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "logind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define LOGIND "org.freedesktop.login1"
#define MANAGER_PATH "/org/freedesktop/login1"
#define MANAGER LOGIND ".Manager"
#define SESSION LOGIND ".Session"

static char *session_string(sd_bus *bus, const char *path, const char *property) {
        char *s = NULL;
        if (sd_bus_get_property_string(bus, LOGIND, path, SESSION, property, NULL, &s) < 0)
                return NULL;
        return s;
}

/* Whether the session at path is a user at the machine: on a seat, or on a terminal. */
static bool session_active_user(sd_bus *bus, const char *path, bool on_seat) {
        _cleanup_free_ char *class = session_string(bus, path, "Class"),
                            *state = session_string(bus, path, "State"),
                            *tty = session_string(bus, path, "TTY");
        if (!class || !state || !streq(class, "user") || !streq(state, "active"))
                return false;
        return on_seat || (tty && *tty);
}

int logind_idle(sd_bus *bus, bool *ret_idle) {
        sd_bus_message *reply = NULL;
        const char *id, *user, *seat, *path;
        uint32_t uid;
        bool idle = true;
        int r = sd_bus_call_method(bus, LOGIND, MANAGER_PATH, MANAGER, "ListSessions", NULL, &reply, "");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(susso)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(susso)", &id, &uid, &user, &seat, &path)) > 0)
                if (session_active_user(bus, path, *seat))
                        idle = false;
        sd_bus_message_unref(reply);
        if (r < 0)
                return r;
        *ret_idle = idle;
        return 0;
}

int logind_reboot(sd_bus *bus, char **ret_error) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, LOGIND, MANAGER_PATH, MANAGER, "Reboot", &error, NULL, "b", 0);
        if (r < 0)
                *ret_error = strdup_or_die(error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        return r;
}
