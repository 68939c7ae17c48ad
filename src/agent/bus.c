/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.koompi.Agent1 on the system bus (sd-bus): properties, methods, signals, and the
 * authorization of every method that changes something. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "agent.h"
#include "access.h"
#include "afterapply.h"
#include "authz.h"
#include "chanstate.h"
#include "log.h"
#include "packages.h"
#include "revokerun.h"
#include "updateoutcome.h"
#include "util.h"

#define ERROR_NO_SUCH_ALERT AGENT_INTERFACE ".Error.NoSuchAlert"
#define ERROR_FAILED AGENT_INTERFACE ".Error.Failed"

static int prop_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct agent *a = userdata;
        const char *s = "";
        if (streq(property, "Version"))
                s = AGENT_VERSION;
        else if (streq(property, "BootedRoot"))
                s = a->facts.booted_root ? a->facts.booted_root : "";
        else if (streq(property, "NextRoot"))
                s = a->facts.next_root ? a->facts.next_root : "";
        else if (streq(property, "Health")) {
                /* One source with GetStatus: this agent's run, else koompi-health's of this boot. */
                json_object *health = status_health(a), *state;
                int r = sd_bus_message_append(reply, "s",
                                              json_object_object_get_ex(health, "state", &state)
                                                      ? json_object_get_string(state)
                                                      : "unknown");
                json_object_put(health);
                return r;
        }
        return sd_bus_message_append(reply, "s", s);
}

static int prop_alerts(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct agent *a = userdata;
        size_t n = a->facts.alerts ? json_object_array_length(a->facts.alerts) : 0;
        int r = sd_bus_message_open_container(reply, 'a', "(tss)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_object *al = json_object_array_get_idx(a->facts.alerts, i);
                r = sd_bus_message_append(reply, "(tss)", agent_alert_seq(al), agent_alert_field(al, "kind"),
                                          agent_alert_field(al, "message"));
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_get_status(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        /* Answered after a fresh read: the caller waits, the loop does not. */
        if (agent_wait_status(userdata, m) < 0)
                return sd_bus_error_set(err, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "too many callers wait for the status");
        return 1;
}

/* An AcknowledgeAlert call while koompi-boot acknowledges. */
struct ack {
        struct agent *agent;
        sd_bus_message *call;
        uint64_t seq;
};

static void ack_done(int r, const char *out, const char *error, void *userdata) {
        struct ack *k = userdata;
        _cleanup_free_ char *reason = NULL;
        r = rootfacts_change_result(r, error, &reason);
        if (r == -ENOENT)
                sd_bus_reply_method_errorf(k->call, ERROR_NO_SUCH_ALERT, "no alert #%" PRIu64 ": %s", k->seq,
                                           reason);
        else if (r < 0)
                sd_bus_reply_method_errorf(k->call, ERROR_FAILED, "acknowledging failed: %s", reason);
        else
                sd_bus_reply_method_return(k->call, NULL);
        agent_refresh(k->agent);
        sd_bus_message_unref(k->call);
        free(k);
}

static int method_acknowledge_alert(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        struct agent *a = userdata;
        char num[32];
        uint64_t seq;
        /* Read after the decision: a call polkit decided on comes again, unread. */
        int r = bus_authorize(a, m, "AcknowledgeAlert", err);
        if (r != 1)
                return r == 2 ? 1 : r;
        r = sd_bus_message_read(m, "t", &seq);
        if (r < 0)
                return r;
        snprintf(num, sizeof num, "%" PRIu64, seq);
        const char *args[] = { "alerts", "ack", seq ? num : NULL, NULL };
        struct ack *k = xmalloc(sizeof *k);
        *k = (struct ack) { .agent = a, .call = sd_bus_message_ref(m), .seq = seq };
        r = rootfacts_call(a->event, &a->source, args, ack_done, k);
        if (r < 0) {
                sd_bus_message_unref(k->call);
                free(k);
                return sd_bus_error_set_errnof(err, -r,
                                               "acknowledging failed: koompi-boot could not be run: %m");
        }
        return 1;
}

static void health_progress(const struct health_check *c, size_t finished, size_t total, void *userdata) {
        struct agent *a = userdata;
        sd_bus_emit_signal(a->bus, AGENT_OBJECT_PATH, AGENT_INTERFACE, "Progress", "ssuu", "health", c->name,
                           (uint32_t)finished, (uint32_t)total);
}

/* Keeps the last result under the state folder, for what reads it without the bus. */
static void health_save(const struct agent *a, json_object *health) {
        int r = health_json_save(a->state_dir, health);
        if (r < 0)
                log_errno(r, "writing %s/health.json failed; the result is kept in memory only",
                          a->state_dir);
}

static void health_done_cb(struct healthrun *hr, void *userdata) {
        struct agent *a = userdata;
        a->health_running = false;
        json_object *o = status_health(a);
        /* Saved first: saving adds the boot id, and the text below must include it. */
        health_save(a, o);
        const char *json =
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        for (unsigned i = 0; i < a->n_health_waiters; i++) {
                sd_bus_reply_method_return(a->health_waiters[i], "s", json);
                a->health_waiters[i] = sd_bus_message_unref(a->health_waiters[i]);
        }
        a->n_health_waiters = 0;
        json_object_put(o);
        sd_bus_emit_properties_changed(a->bus, AGENT_OBJECT_PATH, AGENT_INTERFACE, "Health", NULL);
}

static const struct healthrun_ops health_ops = { .progress = health_progress, .done = health_done_cb };

static int method_run_health(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        struct agent *a = userdata;
        int r = bus_authorize(a, m, "RunHealth", err);
        if (r != 1)
                return r == 2 ? 1 : r;
        if (a->n_health_waiters >= AGENT_MAX_WAITERS)
                return sd_bus_error_set(err, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "too many callers wait for the health checks");
        if (!a->health_running) {
                /* The agent's own mounts are its sandbox's (ProtectHome=, ProtectSystem=): the
                 * mount checks look at the machine's, PID 1's. */
                const struct builtin_env env = { .mountinfo = "/proc/1/mountinfo",
                                                 .boot_json = a->source.state,
                                                 .top = a->source.top };
                struct healthrun *hr;
                r = healthrun_start(&hr, a->event, &a->config, &env, &health_ops, a);
                if (r < 0)
                        return sd_bus_error_set_errnof(err, -r, "the health checks could not be started: %m");
                healthrun_free(a->health);
                a->health = hr;
                a->health_running = true;
                sd_bus_emit_properties_changed(a->bus, AGENT_OBJECT_PATH, AGENT_INTERFACE, "Health", NULL);
        }
        /* Answered when the run ends: the caller waits, the loop does not. */
        a->health_waiters[a->n_health_waiters++] = sd_bus_message_ref(m);
        return 1;
}

static void update_check_done(json_object *answer, void *userdata) {
        struct agent *a = userdata;
        json_object *error;
        const char *json = json_object_to_json_string_ext(
                answer, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (json_object_object_get_ex(answer, "error", &error))
                log_warning("update check: %s", json_object_get_string(error));
        else
                log_info("update check: %s accepted: %s",
                         json_object_get_string(json_object_object_get(answer, "version")),
                         json_object_get_string(json_object_object_get(answer, "reason")));
        for (unsigned i = 0; i < a->n_update_waiters; i++) {
                sd_bus_reply_method_return(a->update_waiters[i], "s", json);
                a->update_waiters[i] = sd_bus_message_unref(a->update_waiters[i]);
        }
        a->n_update_waiters = 0;
        if (!error)
                update_revoke_check(a, answer);
        /* Back from the network: the outcomes queued while offline may go now. */
        update_reports_send(a);
        json_object_put(answer);
        updatecheck_free(a->update_check);
        a->update_check = NULL;
}

/* A check starts unless one runs already. 0 or a negative errno. */
static int update_check_begin(struct agent *a) {
        _cleanup_free_ struct revoke_root *roots = NULL;
        if (a->update_check)
                return 0;
        int r = updatecheck_start(&a->update_check, a->event, &a->config, a->state_dir, update_check_done, a);
        size_t n = r < 0 ? 0 : update_roots_of(a->facts.status, &roots);
        for (size_t i = 0; i < n; i++)
                if (roots[i].booted)
                        updatecheck_set_current(a->update_check, roots[i].release);
        return r;
}

/* The agent's own check, every [update] check_interval, so a machine nobody asks still learns
 * of releases (and of newer serials, which a replayed manifest must beat). */
static int on_update_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct agent *a = userdata;
        int r = update_check_begin(a);
        if (r < 0)
                log_errno(r, "the periodic update check could not be started");
        r = sd_event_source_set_time_relative(s, (uint64_t)a->config.update_check_interval_ms * 1000);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return r < 0 ? log_errno(r, "the periodic update check could not be scheduled again") : 0;
}

/* Schedules the periodic check when a mirror is set. 0 or a negative errno. */
static int update_timer_setup(struct agent *a) {
        if (!a->config.update_mirrors[0])
                return 0;
        return sd_event_add_time_relative(a->event, &a->update_timer, CLOCK_BOOTTIME,
                                          (uint64_t)a->config.update_check_interval_ms * 1000, 0,
                                          on_update_timer, a);
}

static int method_update_check(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        struct agent *a = userdata;
        int r = bus_authorize(a, m, "UpdateCheck", err);
        if (r != 1)
                return r == 2 ? 1 : r;
        if (a->n_update_waiters >= AGENT_MAX_WAITERS)
                return sd_bus_error_set(err, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "too many callers wait for the update check");
        r = update_check_begin(a);
        if (r < 0)
                return sd_bus_error_set_errnof(err, -r, "the update check could not be started: %m");
        /* Answered when the check ends; callers meanwhile share it. */
        a->update_waiters[a->n_update_waiters++] = sd_bus_message_ref(m);
        return 1;
}

static int method_update_approve(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        struct agent *a = userdata;
        const char *version;
        int r = bus_authorize(a, m, "UpdateApprove", err);
        if (r != 1)
                return r == 2 ? 1 : r;
        r = sd_bus_message_read(m, "s", &version);
        if (r < 0)
                return r;
        r = update_approve(a->state_dir, version);
        if (r == -EINVAL)
                return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "'%s' is not a release version",
                                         version);
        if (r < 0)
                return sd_bus_error_setf(err, ERROR_FAILED, "approving %s failed: %s", version, strerror(-r));
        log_info("update: %s approved", version);
        return sd_bus_reply_method_return(m, NULL);
}

/* Progress of an application: the release's bytes as KiB (the signal's numbers are 32 bits). */
static void update_apply_progress(const char *step, uint64_t done, uint64_t total, void *userdata) {
        struct agent *a = userdata;
        bool bytes = !streq(step, "transaction");
        sd_bus_emit_signal(a->bus, AGENT_OBJECT_PATH, AGENT_INTERFACE, "Progress", "ssuu", "update", step,
                           (uint32_t)(bytes ? done >> 10 : done), (uint32_t)(bytes ? total >> 10 : total));
}

/* After a release is applied: recorded, and [update] reboot decides when the machine starts it. */
static void update_applied(struct agent *a, json_object *answer) {
        json_object *root, *version;
        if (!json_object_object_get_ex(answer, "root", &root))
                return;
        if (json_object_object_get_ex(answer, "version", &version))
                update_after_apply(a, json_object_get_string(version), json_object_get_string(root));
        agent_refresh(a);
}

static void update_apply_done(json_object *answer, void *userdata) {
        struct agent *a = userdata;
        const char *json = json_object_to_json_string_ext(
                answer, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        update_applied(a, answer);
        for (unsigned i = 0; i < a->n_apply_waiters; i++) {
                sd_bus_reply_method_return(a->apply_waiters[i], "s", json);
                a->apply_waiters[i] = sd_bus_message_unref(a->apply_waiters[i]);
        }
        a->n_apply_waiters = 0;
        json_object_put(answer);
        updateapply_free(a->update_apply);
        a->update_apply = NULL;
}

static void update_apply_taken(const char *version, void *userdata) {
        update_outcome(userdata, version, "taken");
}

static int method_update_apply(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        static const struct updateapply_ops ops = { .progress = update_apply_progress,
                                                    .done = update_apply_done,
                                                    .taken = update_apply_taken };
        struct agent *a = userdata;
        int r = bus_authorize(a, m, "UpdateApply", err);
        if (r != 1)
                return r == 2 ? 1 : r;
        if (a->n_apply_waiters >= AGENT_MAX_WAITERS)
                return sd_bus_error_set(err, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "too many callers wait for the release to be applied");
        if (!a->update_apply) {
                struct updateapply_ops o = ops;
                o.userdata = a;
                r = updateapply_start(&a->update_apply, a->event, &a->config, a->state_dir, &a->source, &o);
                if (r < 0)
                        return sd_bus_error_set_errnof(err, -r, "applying the release could not start: %m");
        }
        /* Answered when it ends; a second caller meanwhile waits for the same one. */
        a->apply_waiters[a->n_apply_waiters++] = sd_bus_message_ref(m);
        return 1;
}

/* Argument names as SD_BUS_PARAM() spells them ("name\0"), written out. */
static const sd_bus_vtable agent_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("BootedRoot", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NextRoot", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Health", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Alerts", "a(tss)", prop_alerts, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("GetStatus", "", , "s", "status\0", method_get_status,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("RunHealth", "", , "s", "health\0", method_run_health,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("AcknowledgeAlert", "t", "seq\0", "", , method_acknowledge_alert,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("UpdateCheck", "", , "s", "release\0", method_update_check,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("UpdateApprove", "s", "version\0", "", , method_update_approve,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("UpdateApply", "", , "s", "outcome\0", method_update_apply,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Search", "ss", "text\0from\0", "s", "results\0", packages_search,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Info", "ss", "name\0from\0", "s", "plan\0", packages_info,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("List", "s", "from\0", "s", "installed\0", packages_list,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Install", "assb", "names\0from\0yes\0", "s", "done\0", packages_install,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Remove", "assb", "names\0from\0yes\0", "s", "done\0", packages_remove,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("AlertRaised", "tss", "seq\0kind\0message\0", 0),
        SD_BUS_SIGNAL_WITH_NAMES("Progress", "ssuu", "operation\0step\0done\0total\0", 0),
        SD_BUS_VTABLE_END,
};

int bus_setup(struct agent *a) {
        int r = sd_bus_open_system(&a->bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(a->bus, &a->vtable_slot, AGENT_OBJECT_PATH, AGENT_INTERFACE,
                                             agent_vtable, a);
        if (r >= 0)
                r = sd_bus_attach_event(a->bus, a->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = update_timer_setup(a);
        /* Last, so no caller finds the name before the object answers. */
        if (r >= 0)
                r = sd_bus_request_name(a->bus, AGENT_BUS_NAME, 0);
        return r;
}

void bus_done(struct agent *a) {
        for (unsigned i = 0; i < a->n_health_waiters; i++)
                sd_bus_message_unref(a->health_waiters[i]);
        a->n_health_waiters = 0;
        for (unsigned i = 0; i < a->n_update_waiters; i++)
                sd_bus_message_unref(a->update_waiters[i]);
        a->n_update_waiters = 0;
        updatecheck_free(a->update_check);
        a->update_check = NULL;
        for (unsigned i = 0; i < a->n_apply_waiters; i++)
                sd_bus_message_unref(a->apply_waiters[i]);
        a->n_apply_waiters = 0;
        updateapply_free(a->update_apply);
        a->update_apply = NULL;
        a->update_timer = sd_event_source_disable_unref(a->update_timer);
        packages_done(a);
        update_reports_done(a);
        update_after_apply_done(a);
        polkit_forget_all(a);
        agent_facts_done(a);
        healthrun_free(a->health);
        a->health = NULL;
        sd_bus_slot_unref(a->vtable_slot);
        a->bus = sd_bus_flush_close_unref(a->bus);
}
