/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

#include "agentconf.h"
#include "pkgsource.h"
#include "rootfacts.h"

/* One package request (Search, Info, List, Install, Remove), run in a process of its own that
 * the agent forks: it runs the sources' workers and koompi-boot one after the other, and
 * answers the agent in the workers' own protocol (progress lines, then one result or error
 * line), so a crash or a hang there costs the request, not the agent. */
enum pkgjob_verb {
        PKGJOB_SEARCH,
        PKGJOB_INFO,
        PKGJOB_LIST,
        PKGJOB_INSTALL,
        PKGJOB_REMOVE,
};

struct pkgjob {
        enum pkgjob_verb verb;
        char **args; /* the search text, or the names */
        enum pkg_source from; /* --from, or PKG_SOURCE_ANY */
        bool yes; /* the caller confirmed a risky request */
        bool staff; /* admin, teacher or root: the AUR is theirs */
        const struct agent_config *conf;
        const char *config_path; /* handed to the workers */
        const char *state_dir;
        const struct rootfacts_source *boot; /* koompi-boot, with the agent's --top, --esp, --state */
        /* The release the booted root was made from ("" when unknown): a package's new root is
         * still that release, and says so (koompi-boot update --release). */
        char release[65];
};

/* The error of a request refused for its risk: its errno in the answer, and the plans of the
 * request (each with its reasons) under "confirm". */
#define PKGJOB_CONFIRM_ERRNO ECANCELED
