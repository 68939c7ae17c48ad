/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

/* [update] reboot: whether the agent restarts the machine into an applied update, and when.
 * Nothing reboots a machine in class:
 *   never          the update boots the next time someone restarts the machine (default)
 *   idle           now, when no user session is active (see reboot_facts.idle)
 *   HH:MM-HH:MM    when the local time is inside the window, from the first minute included
 *                  to the second excluded; a window may wrap midnight (22:00-05:00) */
#define REBOOT_REASON_MAX 160

enum reboot_mode { REBOOT_MODE_NEVER, REBOOT_MODE_IDLE, REBOOT_MODE_WINDOW };

struct reboot_policy {
        enum reboot_mode mode;
        unsigned from, to; /* REBOOT_MODE_WINDOW: minutes since local midnight */
};

/* 0, or -EINVAL when s is none of the forms above (an empty window, HH:MM-HH:MM with both the
 * same, is refused too). */
int reboot_policy_parse(const char *s, struct reboot_policy *ret);

struct reboot_facts {
        bool clock_trusted; /* the clock is not older than the newest time this machine trusts */
        unsigned minute; /* local minutes since midnight, 0-1439 */
        bool idle_known; /* the sessions could be listed */
        bool idle; /* no user session is active on a seat or a terminal */
};

enum reboot_verdict {
        REBOOT_NOT, /* never: the update waits for a restart by someone */
        REBOOT_NOW,
        REBOOT_LATER, /* not now: ask again later */
};

struct reboot_decision {
        enum reboot_verdict verdict;
        char reason[REBOOT_REASON_MAX];
};

/* The decision, with its reason for the log and for people. Pure. */
void reboot_decide(const struct reboot_policy *p, const struct reboot_facts *f, struct reboot_decision *ret);
/* Whether minute (0-1439) is inside the window [from, to), which may wrap midnight. */
bool reboot_in_window(unsigned from, unsigned to, unsigned minute);
