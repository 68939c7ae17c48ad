/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>

#include "pkgreq.h"
#include "pkgout.h"
#include "risk.h"

/* The sources the request may use: switched on, allowed to the caller (the AUR for staff
 * only), and only the one of --from when given. PKG_SOURCE_BIT()s. */
unsigned pkgplan_usable(const struct pkgjob *j);

/* Runs the worker of src: koompi-pkg-SOURCE --config CONF verb [arg], its progress relayed,
 * its answer checked for verb (search, list: items; info: one item; install, remove: done;
 * build: files). 0 with the checked answer in *ret, or a negative errno (the worker's own, or
 * -ENOENT when it is not installed, -ETIMEDOUT, -EBADMSG) with error naming the source and
 * what failed. */
int pkgplan_worker(const struct pkgjob *j, struct pkgjob_out *o, enum pkg_source src, const char *verb,
                   const char *arg, json_object **ret, char *error, size_t size);
/* The same with --out DIR after arg (the AUR's build). */
int pkgplan_worker_out(const struct pkgjob *j, struct pkgjob_out *o, enum pkg_source src, const char *verb,
                       const char *arg, const char *out_dir, json_object **ret, char *error, size_t size);

/* The plan for one name (or an AppImage's file or URL): the source it comes from and why,
 * the app's info, its risk and reasons ("source", "why", "risk", "reasons",
 * "needs_confirmation", "target" beside the info's fields). A removal takes the first source,
 * in order, where it is installed. 0 with *ret, or a negative errno with error saying why:
 * -EINVAL a bad name, -ENOENT no usable source has it (the sources' own failures named), -EPERM
 * the source of --from is off or not the caller's. */
int pkgplan_plan(const struct pkgjob *j, struct pkgjob_out *o, const char *arg, enum risk_op op,
                 json_object **ret, char *error, size_t size);
