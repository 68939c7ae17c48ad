/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stddef.h>

/* The command line every package worker takes: [--config AGENT_CONF] VERB [ARG] [--out DIR]. */
struct pkg_args {
        const char *config; /* NULL: not given */
        const char *out; /* NULL: not given */
        const char *verb;
        const char *arg; /* NULL: none */
};

/* A verb of a worker: its name, whether it takes one argument, and what runs it: 0 with the
 * protocol's result in *ret, or a negative errno with a sentence in why (PKGOUT_WHY_MAX bytes). ctx
 * is the worker's own. */
struct pkg_verb {
        const char *name;
        int takes_arg;
        int (*run)(void *ctx, const struct pkg_args *a, json_object **ret, char *why);
};

/* Parses argv into *ret. 0, or -EINVAL (no verb, an unknown option, more than one argument);
 * --help gives -ECANCELED. */
int pkgargs_parse(int argc, char **argv, struct pkg_args *ret);
/* The verb of table named a->verb whose argument count matches, or NULL. */
const struct pkg_verb *pkgargs_verb(const struct pkg_verb *table, size_t n, const struct pkg_args *a);
