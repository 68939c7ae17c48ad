/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What GetStatus answers, as one JSON object (json-c). */
#include <stdio.h>

#include "afterapply.h"
#include "agent.h"
#include "util.h"

static json_object *check_json(const struct health_check *c) {
        char reason[512];
        json_object *o = json_object_new_object();
        health_reason(c, reason, sizeof reason);
        json_object_object_add(o, "name", json_object_new_string(c->name));
        json_object_object_add(o, "required", json_object_new_boolean(c->required));
        json_object_object_add(o, "state", json_object_new_string(health_state_name(c->state)));
        json_object_object_add(o, "reason", json_object_new_string(reason));
        json_object_object_add(o, "output", c->output ? json_object_new_string(c->output) : NULL);
        return o;
}

/* This boot's id: results saved in an earlier boot are not this boot's. */
static const char *boot_id(char *buf, size_t size) {
        return read_line_file("/proc/sys/kernel/random/boot_id", buf, size) < 0 ? "" : buf;
}

/* The last run of koompi-health this boot, from the state folder; NULL when there is none. */
static json_object *saved_health(const char *state_dir) {
        char path[4096], id[64];
        json_object *o, *saved_id;
        snprintf(path, sizeof path, "%s/health.json", state_dir);
        o = json_object_from_file(path);
        if (o &&
            (!json_object_is_type(o, json_type_object) ||
             !json_object_object_get_ex(o, "boot_id", &saved_id) ||
             !streq(json_object_get_string(saved_id), boot_id(id, sizeof id)))) {
                json_object_put(o);
                o = NULL;
        }
        return o;
}

json_object *status_health(const struct agent *a) {
        static const struct health_run none;
        json_object *saved;
        if (!a->health && a->state_dir && (saved = saved_health(a->state_dir)))
                return saved;
        if (!a->health)
                return health_run_json(&none, false, false);
        return health_run_json(healthrun_checks(a->health), true, a->health_running);
}

json_object *health_run_json(const struct health_run *run, bool ran, bool running) {
        enum health_verdict v = ran && !running ? health_verdict(run) : HEALTH_UNKNOWN;
        char reason[512];
        json_object *o = json_object_new_object(), *checks = json_object_new_array();
        health_run_reason(run, reason, sizeof reason);
        json_object_object_add(o, "state",
                               json_object_new_string(running ? "running" : health_verdict_name(v)));
        json_object_object_add(o, "reason", json_object_new_string(reason));
        for (size_t i = 0; i < run->n; i++)
                json_object_array_add(checks, check_json(&run->checks[i]));
        json_object_object_add(o, "checks", checks);
        return o;
}

int health_json_save(const char *state_dir, json_object *health) {
        char path[4096], id[64];
        json_object_object_add(health, "boot_id", json_object_new_string(boot_id(id, sizeof id)));
        const char *json = json_object_to_json_string_ext(
                health, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = mkdir_p(state_dir, 0755);
        snprintf(path, sizeof path, "%s/health.json", state_dir);
        return r < 0 ? r : write_file_atomic(path, json, strlen(json), 0644);
}

static json_object *problems_json(const struct agent *a) {
        json_object *p = json_object_new_array();
        for (unsigned i = 0; i < a->config.n_problems; i++)
                json_object_array_add(p, json_object_new_string(a->config.problems[i]));
        if (a->facts_error)
                json_object_array_add(p, json_object_new_string(a->facts_error));
        return p;
}

char *status_json(const struct agent *a) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_string(AGENT_VERSION));
        json_object_object_add(o, "booted_root",
                               json_object_new_string(a->facts.booted_root ? a->facts.booted_root : ""));
        json_object_object_add(o, "next_root",
                               json_object_new_string(a->facts.next_root ? a->facts.next_root : ""));
        json_object_object_add(o, "health", status_health(a));
        json_object_object_add(o, "alerts",
                               a->facts.alerts ? json_object_get(a->facts.alerts) : json_object_new_array());
        json_object_object_add(o, "problems", problems_json(a));
        json_object_object_add(o, "update_pending", update_pending_json(a));
        json_object_object_add(o, "boot", a->facts.status ? json_object_get(a->facts.status) : NULL);
        char *s = strdup_or_die(
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}
