/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>
#include <systemd/sd-bus.h>

/* The agent's questions to systemd-logind (org.freedesktop.login1) on the system bus. */

/* Whether nobody uses the machine: no session of class "user" in state "active" on a seat or a
 * terminal (a greeter, a lock screen's own session or a background session is no user at the
 * machine). 0 with *ret_idle, or the negative errno of asking logind (none on the bus). */
int logind_idle(sd_bus *bus, bool *ret_idle);
/* Manager.Reboot(false): logind restarts the machine, as a shutdown by an admin would. 0 or a
 * negative errno, with *ret_error saying what logind answered (free it). */
int logind_reboot(sd_bus *bus, char **ret_error);
