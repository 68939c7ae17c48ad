/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include <stdbool.h>

#include "builtin.h"
#include "pkgconf.h"

/* /etc/koompi/agent.conf, every key documented and defaulted in config/agent.conf. A key whose
 * value cannot be used keeps its default and the problem is kept in `problems`, so the agent
 * starts anyway and `koompi status` can show what to fix. */
#define AGENTCONF_MAX_PROBLEMS 16

struct agent_config {
        /* [agent] */
        char *koompi_boot; /* the koompi-boot binary the root facts come from */
        /* [access] */
        char *admin_group; /* members act as admins */
        char *teacher_group; /* members act as teachers */
        char *polkit; /* auto | yes | no: ask polkitd about changes */
        /* [health] */
        char *required_dir; /* scripts whose failure makes the boot bad */
        char *wanted_dir; /* scripts whose failure only warns */
        unsigned check_timeout_ms; /* a check running longer failed (it hangs) */
        char *required_checks; /* built-in checks whose failure makes the boot bad, space separated */
        char *wanted_checks; /* built-in checks whose failure only warns */
        struct free_threshold min_free; /* free-space: what must stay free */
        char *units; /* units: the systemd units that must not have failed, space separated */
        /* [update] */
        char *update_mirrors; /* base URLs, space separated, tried in order */
        char *update_channel;
        char *update_keys_dir; /* the trusted minisign public keys, *.pub */
        char *update_machine_id_file; /* the bucket's source; it never leaves the machine */
        char *update_ring; /* early | normal | late */
        char *update_user; /* the fetching child runs as this user */
        unsigned update_check_interval_ms; /* the agent's own check, this often */
        uint64_t update_max_rate; /* downloads: bytes a second at most, 0: no limit */
        /* [packages]: apps from pacman, Flatpak, the AUR and AppImage */
        struct pkg_config packages;
        char *update_reboot; /* never | idle | HH:MM-HH:MM (rebootpolicy.h) */
        char *update_report_url; /* where the outcomes go when privacy allows; "" none */
        /* [privacy] */
        bool telemetry; /* nothing is sent unless yes */
        bool crash_reports;
        bool report; /* update outcomes to [update] report_url */
        /* Problems met while reading, "FILE:LINE: [SECTION] KEY: what", NULL-terminated. */
        char *problems[AGENTCONF_MAX_PROBLEMS + 1];
        unsigned n_problems;
};

/* Sets every key to its default, with no problems. */
void agentconf_defaults(struct agent_config *c);
/* Reads path over the defaults. Returns 0 (also when some keys were bad or unknown: those are
 * in c->problems), -ENOENT when the file is missing (defaults stay, no problem recorded), or
 * another negative errno when it could not be read (recorded as a problem too). A file that is
 * not INI at all leaves every default and records the line that broke it. */
int agentconf_load(struct agent_config *c, const char *path);
void agentconf_free(struct agent_config *c);
/* The 1-based line of `key` in `[section]` of the INI text, or 0 when it is not there.
 * Section and key compare without case, as iniparser does. */
unsigned agentconf_line_of(const char *text, const char *section, const char *key);
