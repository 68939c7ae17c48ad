/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "afterapply.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "agent.h"
#include "chanstate.h"
#include "log.h"
#include "logind.h"
#include "rebootpolicy.h"
#include "updateoutcome.h"
#include "util.h"
#include "verify.h"

#define REBOOT_RETRY_US (5ULL * 60 * 1000000)

/* The clock is trusted when it is not older than the newest time this machine knows is past:
 * the build, and the last accepted manifest's issue. */
static bool clock_trusted(const struct agent *a, time_t now) {
        struct channel_state last = { 0 };
        int64_t floor = update_build_time();
        if (update_state_load(a->state_dir, a->config.update_channel, &last) == 0 && last.issued > floor)
                floor = last.issued;
        return (int64_t)now >= floor;
}

static void gather(struct agent *a, const struct reboot_policy *p, struct reboot_facts *f) {
        time_t now = time(NULL);
        struct tm tm;
        *f = (struct reboot_facts) { .clock_trusted = clock_trusted(a, now) };
        if (localtime_r(&now, &tm))
                f->minute = (unsigned)(tm.tm_hour * 60 + tm.tm_min);
        /* logind is asked only when its answer matters. */
        if (p->mode == REBOOT_MODE_IDLE && a->bus)
                f->idle_known = logind_idle(a->bus, &f->idle) == 0;
}

static void decide(struct agent *a);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        decide(userdata);
        return 0;
}

static void retry_later(struct agent *a) {
        int r = a->reboot_timer ? sd_event_source_set_time_relative(a->reboot_timer, REBOOT_RETRY_US)
                                : sd_event_add_time_relative(a->event, &a->reboot_timer, CLOCK_BOOTTIME,
                                                             REBOOT_RETRY_US, 0, on_retry, a);
        if (r >= 0)
                r = sd_event_source_set_enabled(a->reboot_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_errno(r, "the restart into %s could not be scheduled; it boots next time",
                          a->reboot_root);
}

static void decide(struct agent *a) {
        struct reboot_policy p = { .mode = REBOOT_MODE_NEVER };
        struct reboot_facts f;
        struct reboot_decision d;
        (void)reboot_policy_parse(a->config.update_reboot, &p);
        gather(a, &p, &f);
        reboot_decide(&p, &f, &d);
        snprintf(a->reboot_reason, sizeof a->reboot_reason, "%s", d.reason);
        log_info("update: %s (%s) boots next: %s", a->reboot_version, a->reboot_root, d.reason);
        if (d.verdict == REBOOT_LATER)
                retry_later(a);
        if (d.verdict != REBOOT_NOW)
                return;
        _cleanup_free_ char *error = NULL;
        int r = a->bus ? logind_reboot(a->bus, &error) : -ENOTCONN;
        if (r < 0) {
                log_warning("update: logind did not restart the machine (%s); asked again later",
                            error ? error : strerror(-r));
                retry_later(a);
        }
}

void update_after_apply(struct agent *a, const char *version, const char *root) {
        bool seen = update_state_seen(a, "update/applied-roots", root);
        if (!seen)
                update_outcome(a, version, "applied");
        /* Already decided for this root, and waiting or done. */
        if (a->reboot_root && streq(a->reboot_root, root))
                return;
        free(a->reboot_root);
        free(a->reboot_version);
        a->reboot_root = strdup_or_die(root);
        a->reboot_version = strdup_or_die(version);
        decide(a);
}

json_object *update_pending_json(const struct agent *a) {
        char *s;
        if (!a->reboot_root || !streq_ptr(a->facts.next_root, a->reboot_root) ||
            streq_ptr(a->facts.booted_root, a->reboot_root))
                return NULL;
        if (asprintf(&s, "%s (%s) boots next: %s", a->reboot_version, a->reboot_root, a->reboot_reason) < 0)
                abort();
        json_object *o = json_object_new_string(s);
        free(s);
        return o;
}

void update_after_apply_done(struct agent *a) {
        a->reboot_timer = sd_event_source_disable_unref(a->reboot_timer);
        free(a->reboot_root);
        free(a->reboot_version);
        a->reboot_root = a->reboot_version = NULL;
}

/* Whether koompi-boot's status calls the root name bad. */
static bool root_is_bad(json_object *status, const char *name) {
        json_object *list, *v;
        if (!json_object_object_get_ex(status, "snapshots", &list) ||
            !json_object_is_type(list, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *s = json_object_array_get_idx(list, i);
                if (json_object_object_get_ex(s, "name", &v) && streq_ptr(json_object_get_string(v), name))
                        return json_object_object_get_ex(s, "state", &v) &&
                                streq_ptr(json_object_get_string(v), "bad");
        }
        return false;
}

void update_outcome_facts(struct agent *a) {
        _cleanup_free_ struct revoke_root *roots = NULL;
        size_t n = update_roots_of(a->facts.status, &roots), booted = n;
        for (size_t i = 0; i < n; i++)
                if (roots[i].booted)
                        booted = i;
        /* Newest first: the roots before the booted one are newer (an update not booted yet);
         * those after it are older (a rollback's target boots next: no update). */
        for (size_t i = 0; i < n; i++) {
                const struct revoke_root *r = &roots[i];
                if (!r->release || !*r->release)
                        continue;
                if (r->booted && r->good && !update_state_seen(a, "update/booted-good-roots", r->name))
                        update_outcome(a, r->release, "booted-good");
                /* Bad: its boots failed, or a rollback (a revocation's too) left it. */
                if (!r->good && root_is_bad(a->facts.status, r->name) &&
                    !update_state_seen(a, "update/rolled-back-roots", r->name))
                        update_outcome(a, r->release, "rolled-back");
                if (i < booted && booted < n && streq_ptr(r->name, a->facts.next_root))
                        update_after_apply(a, r->release, r->name);
        }
}
