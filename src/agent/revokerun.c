/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "revokerun.h"

#include <errno.h>
#include <stdio.h>

#include "agent.h"
#include "log.h"
#include "revoke.h"
#include "strv.h"
#include "updateoutcome.h"
#include "util.h"

/* One revocation handled: what the manifest revoked, then what was decided. */
struct revocation {
        struct agent *agent;
        char **revoked;
        char *release, *target, *text;
        char *booted; /* the root made from the revoked release */
};

static void revocation_end(struct revocation *v) {
        v->agent->revoking = false;
        agent_refresh(v->agent);
        strv_free(v->revoked);
        free(v->release);
        free(v->target);
        free(v->text);
        free(v->booted);
        free(v);
}

static void alert_done(int r, const char *out, const char *error, void *userdata) {
        struct revocation *v = userdata;
        _cleanup_free_ char *reason = NULL;
        if (rootfacts_change_result(r, error, &reason) < 0)
                log_error("update: the alert \"%s\" could not be raised: %s", v->text, reason);
        revocation_end(v);
}

static void raise_alert(struct revocation *v) {
        const char *args[] = { "alerts", "raise", "--", "revoked", v->text, NULL };
        log_warning("update: %s", v->text);
        int r = rootfacts_call(v->agent->event, &v->agent->source, args, alert_done, v);
        if (r < 0) {
                log_errno(r, "update: the alert could not be raised");
                revocation_end(v);
        }
}

/* The admin is told whenever the rollback did not happen: the machine still runs a revoked
 * release, and only a person can finish what the agent could not. */
static void raise_not_rolled_back(struct revocation *v, const char *what, const char *reason) {
        free(v->text);
        if (asprintf(&v->text,
                     "release %s of the booted root was revoked, and %s: %s; run `koompi-boot rollback %s` "
                     "as root, or choose %s in the boot menu",
                     v->release, what, reason, v->target, v->target) < 0)
                abort();
        raise_alert(v);
}

static void rollback_done(int r, const char *out, const char *error, void *userdata) {
        struct revocation *v = userdata;
        _cleanup_free_ char *reason = NULL;
        if (rootfacts_change_result(r, error, &reason) < 0) {
                _cleanup_free_ char *what = NULL;
                if (asprintf(&what, "going back to %s failed", v->target) < 0)
                        abort();
                raise_not_rolled_back(v, what, reason);
                return;
        }
        if (!update_state_seen(v->agent, "update/rolled-back-roots", v->booted))
                update_outcome(v->agent, v->release, "rolled-back");
        raise_alert(v);
}

static void act(struct revocation *v, const struct revoke_decision *d) {
        v->booted = strdup_or_die(d->booted);
        v->release = d->release ? strdup_or_die(d->release) : NULL;
        v->target = d->target ? strdup_or_die(d->target) : NULL;
        v->text = strdup_or_die(d->text);
        if (d->action == REVOKE_STUCK) {
                raise_alert(v);
                return;
        }
        const char *args[] = { "rollback", v->target, NULL };
        log_info("update: release %s is revoked: koompi-boot rollback %s", v->release, v->target);
        int r = rootfacts_call(v->agent->event, &v->agent->source, args, rollback_done, v);
        if (r < 0) {
                log_errno(r, "update: koompi-boot rollback could not be run");
                raise_not_rolled_back(v, "koompi-boot rollback could not be started", strerror(-r));
        }
}

static void status_done(int r, const char *out, const char *error, void *userdata) {
        struct revocation *v = userdata;
        struct root_facts facts;
        struct revoke_decision d = { .action = REVOKE_NOTHING };
        _cleanup_free_ char *reason = NULL;
        _cleanup_free_ struct revoke_root *roots = NULL;
        r = rootfacts_status_result(&v->agent->source, r, out, error, &facts, &reason);
        if (r < 0) {
                log_error("update: the roots could not be read to judge the revoked releases: %s", reason);
                revocation_end(v);
                return;
        }
        size_t n = update_roots_of(facts.status, &roots);
        revoke_decide(roots, n, v->revoked, facts.next_root, &d);
        if (d.action == REVOKE_DONE)
                log_info("update: release %s of the booted root is revoked; %s boots next already", d.release,
                         d.target);
        if (d.action == REVOKE_ROLLBACK || d.action == REVOKE_STUCK)
                act(v, &d);
        rootfacts_free(&facts);
        if (d.action != REVOKE_ROLLBACK && d.action != REVOKE_STUCK)
                revocation_end(v);
}

static char **revoked_of(json_object *answer) {
        json_object *list;
        char **v = NULL;
        if (!json_object_object_get_ex(answer, "revoked", &list) ||
            !json_object_is_type(list, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *s = json_object_array_get_idx(list, i);
                if (json_object_is_type(s, json_type_string) &&
                    strv_extend(&v, json_object_get_string(s)) < 0)
                        abort();
        }
        return v;
}

void update_revoke_check(struct agent *a, json_object *answer) {
        char **revoked = revoked_of(answer);
        if (!revoked || a->revoking) {
                strv_free(revoked);
                return;
        }
        struct revocation *v = xmalloc(sizeof *v);
        *v = (struct revocation) { .agent = a, .revoked = revoked };
        a->revoking = true;
        int r = rootfacts_call(a->event, &a->source, rootfacts_status_args, status_done, v);
        if (r < 0) {
                log_errno(r, "update: the roots could not be read to judge the revoked releases");
                a->revoking = false;
                strv_free(v->revoked);
                free(v);
        }
}
