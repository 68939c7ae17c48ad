/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rebootpolicy.h"

#include <errno.h>
#include <stdio.h>

#include "util.h"

static bool digit(char c) {
        return c >= '0' && c <= '9';
}

/* "HH:MM" exactly, into minutes since midnight. */
static int parse_clock(const char *s, unsigned *ret) {
        if (!digit(s[0]) || !digit(s[1]) || s[2] != ':' || !digit(s[3]) || !digit(s[4]))
                return -EINVAL;
        unsigned h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0'),
                 m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
        if (h > 23 || m > 59)
                return -EINVAL;
        *ret = h * 60 + m;
        return 0;
}

int reboot_policy_parse(const char *s, struct reboot_policy *ret) {
        unsigned from, to;
        if (streq(s, "never") || streq(s, "idle")) {
                *ret = (struct reboot_policy) { .mode = streq(s, "idle") ? REBOOT_MODE_IDLE
                                                                         : REBOOT_MODE_NEVER };
                return 0;
        }
        if (strlen(s) != 11 || s[5] != '-' || parse_clock(s, &from) < 0 || parse_clock(s + 6, &to) < 0 ||
            from == to)
                return -EINVAL;
        *ret = (struct reboot_policy) { .mode = REBOOT_MODE_WINDOW, .from = from, .to = to };
        return 0;
}

bool reboot_in_window(unsigned from, unsigned to, unsigned minute) {
        return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

static void decide_window(const struct reboot_policy *p, const struct reboot_facts *f,
                          struct reboot_decision *ret) {
        char window[48];
        snprintf(window, sizeof window, "%02u:%02u-%02u:%02u", p->from / 60, p->from % 60, p->to / 60,
                 p->to % 60);
        if (!f->clock_trusted) {
                ret->verdict = REBOOT_LATER;
                snprintf(
                        ret->reason, sizeof ret->reason,
                        "waiting: the clock is older than the last time this machine trusted, so the window %s "
                        "cannot be told",
                        window);
        } else if (!reboot_in_window(p->from, p->to, f->minute)) {
                ret->verdict = REBOOT_LATER;
                snprintf(ret->reason, sizeof ret->reason, "waiting: %02u:%02u is outside the window %s",
                         f->minute / 60, f->minute % 60, window);
        } else {
                ret->verdict = REBOOT_NOW;
                snprintf(ret->reason, sizeof ret->reason, "restarting: %02u:%02u is inside the window %s",
                         f->minute / 60, f->minute % 60, window);
        }
}

void reboot_decide(const struct reboot_policy *p, const struct reboot_facts *f, struct reboot_decision *ret) {
        *ret = (struct reboot_decision) { .verdict = REBOOT_LATER };
        switch (p->mode) {
        case REBOOT_MODE_NEVER:
                ret->verdict = REBOOT_NOT;
                snprintf(ret->reason, sizeof ret->reason,
                         "not restarting ([update] reboot = never): the update boots next time");
                break;
        case REBOOT_MODE_IDLE:
                if (!f->idle_known)
                        snprintf(ret->reason, sizeof ret->reason,
                                 "waiting: the sessions could not be listed, so nobody is known to be away");
                else if (!f->idle)
                        snprintf(ret->reason, sizeof ret->reason, "waiting: a user session is active");
                else {
                        ret->verdict = REBOOT_NOW;
                        snprintf(ret->reason, sizeof ret->reason, "restarting: no user session is active");
                }
                break;
        case REBOOT_MODE_WINDOW:
                decide_window(p, f, ret);
                break;
        }
}
