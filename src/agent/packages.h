/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <systemd/sd-bus.h>

/* The package methods of org.koompi.Agent1: Search, Info, List, Install, Remove. Each call
 * runs in a process of its own (pkgjob.h); its progress becomes Progress signals, its end the
 * call's answer: a JSON string, or an error (NeedsConfirmation with the plans when the
 * request is risky and not confirmed). */
#define ERROR_NEEDS_CONFIRMATION "org.koompi.Agent1.Error.NeedsConfirmation"

struct agent;
struct pkgcall;

int packages_search(sd_bus_message *m, void *userdata, sd_bus_error *err);
int packages_info(sd_bus_message *m, void *userdata, sd_bus_error *err);
int packages_list(sd_bus_message *m, void *userdata, sd_bus_error *err);
int packages_install(sd_bus_message *m, void *userdata, sd_bus_error *err);
int packages_remove(sd_bus_message *m, void *userdata, sd_bus_error *err);
/* Ends every running request (the agent stops). */
void packages_done(struct agent *a);
