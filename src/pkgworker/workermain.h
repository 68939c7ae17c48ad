/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stddef.h>

#include "workerargs.h"

#define PKGWORKER_DEFAULT_CONFIG "/etc/koompi/agent.conf"

/* A worker of this folder: one verb per run, on the [packages] settings of agent.conf. Each
 * verb's run() gets the struct pkg_config as its ctx. */
struct pkgworker {
        const char *usage; /* the whole usage text, for stderr */
        const char *name; /* the program, for the error line of a bad usage */
        const struct worker_verb *verbs;
        size_t n_verbs;
};

/* Parses the command line, reads the settings (--config, else PKGWORKER_DEFAULT_CONFIG; a
 * missing file is the defaults), runs the verb and writes its answer on stdout (the protocol of
 * src/pkg-common/workerline.h). Returns the exit status: 0 for --help, the usage text on
 * stderr and an -EINVAL error line for a bad usage, else workerline_answer()'s. */
int pkgworker_main(const struct pkgworker *w, int argc, char **argv);
