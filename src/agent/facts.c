/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's copy of the root facts: read once at start, then again, without blocking the
 * loop, when a caller asks for the status, after a change the agent made, and whenever the
 * ledger changes (a fallback alert koompi-init raised, koompi-health's verdict, an admin's
 * `koompi-boot alerts ack`), so AlertRaised and the properties follow the ledger. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>

#include "afterapply.h"
#include "agent.h"
#include "log.h"
#include "util.h"

const char *agent_alert_field(json_object *alert, const char *key) {
        json_object *v;
        return json_object_object_get_ex(alert, key, &v) ? json_object_get_string(v) : "";
}

uint64_t agent_alert_seq(json_object *alert) {
        json_object *v;
        return json_object_object_get_ex(alert, "seq", &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

/* Announces the alerts newer than any announced before; the first read only takes note. */
static void announce_alerts(struct agent *a, bool announce) {
        size_t n = a->facts.alerts ? json_object_array_length(a->facts.alerts) : 0;
        uint64_t newest = a->newest_alert;
        for (size_t i = 0; i < n; i++) {
                json_object *al = json_object_array_get_idx(a->facts.alerts, i);
                uint64_t seq = agent_alert_seq(al);
                if (seq <= a->newest_alert)
                        continue;
                if (announce && a->bus)
                        sd_bus_emit_signal(a->bus, AGENT_OBJECT_PATH, AGENT_INTERFACE, "AlertRaised", "tss",
                                           seq, agent_alert_field(al, "kind"),
                                           agent_alert_field(al, "message"));
                if (seq > newest)
                        newest = seq;
        }
        a->newest_alert = newest;
}

/* Takes the reason a read failed (owned); the facts read before stay. */
static void fail(struct agent *a, char *error) {
        free(a->facts_error);
        a->facts_error = error;
}

/* Takes a successful read. */
static void apply(struct agent *a, struct root_facts *facts, bool announce) {
        fail(a, NULL);
        bool roots_changed = !streq_ptr(a->facts.booted_root, facts->booted_root) ||
                !streq_ptr(a->facts.next_root, facts->next_root);
        rootfacts_free(&a->facts);
        a->facts = *facts;
        if (!a->ledger_watch && !a->ledger_watch_failed && a->event)
                a->ledger_watch_failed = agent_watch_ledger(a) < 0;
        announce_alerts(a, announce);
        /* At start the bus is not up yet: run() does this once it is. */
        if (announce)
                update_outcome_facts(a);
        if (announce && a->bus)
                sd_bus_emit_properties_changed(a->bus, AGENT_OBJECT_PATH, AGENT_INTERFACE, "Alerts",
                                               roots_changed ? "BootedRoot" : NULL,
                                               roots_changed ? "NextRoot" : NULL, NULL);
}

void agent_refresh_now(struct agent *a) {
        struct root_facts facts;
        char *error = NULL;
        if (rootfacts_read(&a->source, &facts, &error) < 0)
                fail(a, error);
        else
                apply(a, &facts, false);
}

static void answer_status_waiters(struct agent *a) {
        _cleanup_free_ char *json = status_json(a);
        for (unsigned i = 0; i < a->n_status_waiters; i++) {
                sd_bus_reply_method_return(a->status_waiters[i], "s", json);
                a->status_waiters[i] = sd_bus_message_unref(a->status_waiters[i]);
        }
        a->n_status_waiters = 0;
}

static void refresh_done(int r, const char *out, const char *error, void *userdata) {
        struct agent *a = userdata;
        struct root_facts facts;
        char *reason = NULL;
        r = rootfacts_status_result(&a->source, r, out, error, &facts, &reason);
        a->refreshing = false;
        if (r < 0)
                fail(a, reason);
        else
                apply(a, &facts, true);
        /* Asked again while this read ran: what it read may be older than the question. */
        if (a->refresh_again) {
                a->refresh_again = false;
                agent_refresh(a);
                if (a->refreshing)
                        return;
        }
        answer_status_waiters(a);
}

void agent_refresh(struct agent *a) {
        if (a->refreshing) {
                a->refresh_again = true;
                return;
        }
        int r = rootfacts_call(a->event, &a->source, rootfacts_status_args, refresh_done, a);
        if (r < 0) {
                char *error = NULL;
                if (asprintf(&error, "running %s failed: %s", a->source.koompi_boot, strerror(-r)) < 0)
                        abort();
                fail(a, error);
                answer_status_waiters(a);
                return;
        }
        a->refreshing = true;
}

int agent_wait_status(struct agent *a, sd_bus_message *m) {
        if (a->n_status_waiters >= AGENT_MAX_WAITERS)
                return -EBUSY;
        a->status_waiters[a->n_status_waiters++] = sd_bus_message_ref(m);
        agent_refresh(a);
        return 0;
}

static int on_ledger_dir(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        struct agent *a = userdata;
        if (ev->len > 0 && streq(ev->name, a->ledger_name))
                agent_refresh(a);
        return 0;
}

/* The ledger's path as koompi-boot reported it: "" when unknown. */
static const char *ledger_path(const struct agent *a) {
        json_object *l, *p;
        if (!a->facts.status || !json_object_object_get_ex(a->facts.status, "ledger", &l) ||
            !json_object_object_get_ex(l, "path", &p) || !json_object_is_type(p, json_type_string))
                return "";
        return json_object_get_string(p);
}

int agent_watch_ledger(struct agent *a) {
        const char *path = ledger_path(a);
        if (!*path)
                return -ENOENT;
        _cleanup_free_ char *dir_copy = strdup_or_die(path), *base_copy = strdup_or_die(path);
        const char *dir = dirname(dir_copy), *base = basename(base_copy);
        snprintf(a->ledger_name, sizeof a->ledger_name, "%s", base);
        /* The ledger is replaced by a rename; the directory is what stays. */
        int r = sd_event_add_inotify(a->event, &a->ledger_watch, dir,
                                     IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_ONLYDIR, on_ledger_dir, a);
        if (r < 0)
                log_errno(r, "watching %s failed: alerts are announced only when a caller asks", dir);
        return r;
}

void agent_facts_done(struct agent *a) {
        for (unsigned i = 0; i < a->n_status_waiters; i++)
                sd_bus_message_unref(a->status_waiters[i]);
        a->n_status_waiters = 0;
        a->ledger_watch = sd_event_source_disable_unref(a->ledger_watch);
        rootfacts_free(&a->facts);
        free(a->facts_error);
        a->facts_error = NULL;
}
