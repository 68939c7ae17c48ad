/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include "agent.h"
#include "authz.h"

/* The caller's role from its bus credentials: effective uid, primary and supplementary
 * groups. 0, or the negative errno of reading the credentials. */
int bus_caller_role(sd_bus_message *m, enum authz_role *ret, const struct agent_config *conf);
/* 1 when the sender of m may call method; 0 when not, with err set to the refusal; 2 when
 * polkit was asked (the call is dispatched again with the answer: the method waits); a negative
 * errno when the caller's credentials could not be had. */
int bus_authorize(struct agent *a, sd_bus_message *m, const char *method, sd_bus_error *err);
