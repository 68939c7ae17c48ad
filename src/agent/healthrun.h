/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <systemd/sd-event.h>

#include "agentconf.h"
#include "health.h"

/* One run of the health scripts on the agent's event loop: every script of the required and
 * wanted folders started at once, in its own process group, its output kept in a memfd; one
 * timer for the earliest deadline; a check past its deadline is killed with its group. */
struct healthrun;

struct healthrun_ops {
        /* A check ended (passed, failed or timed out); finished of total are done. */
        void (*progress)(const struct health_check *c, size_t finished, size_t total, void *userdata);
        /* Every check ended; the run stays readable through healthrun_checks() until freed. */
        void (*done)(struct healthrun *hr, void *userdata);
};

/* Starts a run: the built-in checks conf names (each in a forked process, looking where env
 * says; env's strings must live as long as the run) and the scripts of conf's folders, all at
 * once with the same deadline. 0, or a negative errno
 * when the loop refused a source (nothing is left running then). A missing folder holds no
 * checks. */
int healthrun_start(struct healthrun **ret, sd_event *e, const struct agent_config *conf,
                    const struct builtin_env *env, const struct healthrun_ops *ops, void *userdata);
const struct health_run *healthrun_checks(const struct healthrun *hr);
/* Kills what still runs and frees the run. */
void healthrun_free(struct healthrun *hr);
