/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's only conversation with polkitd (org.freedesktop.PolicyKit1). */
#include <errno.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
/* polkit may be waiting for a person to type a password. */
#define POLKIT_TIMEOUT_US (120 * 1000000ULL)

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

/* One question to polkitd about one method call, kept until the call is dispatched again. */
struct polkit_query {
        sd_bus_message *request;
        sd_bus_slot *slot; /* the pending CheckAuthorization, NULL once answered */
        int result; /* 1 allowed, 0 not, negative errno: polkitd did not answer */
        struct polkit_query *next;
};

static void query_free(struct polkit_query *q) {
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q);
}

static int on_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct polkit_query *q = userdata;
        int allowed = 0, challenge = 0;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r = e ? -sd_bus_error_get_errno(e) : sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &allowed, &challenge);
        q->result = r < 0 ? r : allowed ? 1 : 0;
        q->slot = sd_bus_slot_unref(q->slot);
        /* The method runs again, and finds its answer here. */
        r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(reply), q->request);
        if (r < 0)
                log_errno(r, "the answer of polkit could not be handed back to the caller's call");
        return 0;
}

int polkit_ask(struct agent *a, sd_bus_message *m, const char *action) {
        sd_bus *bus = sd_bus_message_get_bus(m);
        sd_bus_message *call = NULL;
        /* polkit may ask the caller's agent for a password only when the caller said so. */
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(m) ? 1 : 0;
        struct polkit_query *q = xmalloc(sizeof(*q));
        *q = (struct polkit_query) { .request = sd_bus_message_ref(m), .result = -EINPROGRESS };
        int r = sd_bus_message_new_method_call(bus, &call, POLKIT_NAME,
                                               "/org/freedesktop/PolicyKit1/Authority",
                                               "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s",
                                          sd_bus_message_get_sender(m), action, 0, flags, "");
        if (r >= 0)
                r = sd_bus_call_async(bus, &q->slot, call, on_answer, q, POLKIT_TIMEOUT_US);
        sd_bus_message_unref(call);
        if (r < 0) {
                query_free(q);
                return r;
        }
        q->next = a->polkit_queries;
        a->polkit_queries = q;
        return 0;
}

int polkit_result(struct agent *a, sd_bus_message *m) {
        for (struct polkit_query **p = &a->polkit_queries; *p; p = &(*p)->next) {
                struct polkit_query *q = *p;
                if (q->request != m)
                        continue;
                if (q->result == -EINPROGRESS)
                        return -EINPROGRESS;
                int r = q->result;
                *p = q->next;
                query_free(q);
                return r;
        }
        return -ENOENT;
}

void polkit_forget_all(struct agent *a) {
        while (a->polkit_queries) {
                struct polkit_query *q = a->polkit_queries;
                a->polkit_queries = q->next;
                query_free(q);
        }
}
