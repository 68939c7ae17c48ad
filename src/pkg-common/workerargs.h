/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <json-c/json.h>
#include <stddef.h>

/* The command line every package worker takes: [--config AGENT_CONF] VERB [ARG] [--out DIR]. */
struct worker_args {
        const char *config; /* NULL: not given */
        const char *out; /* NULL: not given */
        const char *verb;
        const char *arg; /* NULL: none */
};

/* A verb of a worker: its name, whether it takes one argument, and what runs it: 0 with the
 * protocol's result in *ret, or a negative errno with a sentence in why (WORKER_WHY_MAX bytes). ctx
 * is the worker's own. */
struct worker_verb {
        const char *name;
        int takes_arg;
        int (*run)(void *ctx, const struct worker_args *a, json_object **ret, char *why);
};

/* Parses argv into *ret. 0, or -EINVAL (no verb, an unknown option, more than one argument);
 * --help gives -ECANCELED. */
int workerargs_parse(int argc, char **argv, struct worker_args *ret);
/* The verb of table named a->verb whose argument count matches, or NULL. */
const struct worker_verb *workerargs_verb(const struct worker_verb *table, size_t n,
                                          const struct worker_args *a);
