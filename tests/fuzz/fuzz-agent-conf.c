/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/koompi/agent.conf, as koompi-agent and koompi-health read it: whatever the file holds,
 * the agent starts, with at most AGENTCONF_MAX_PROBLEMS problems kept. */
#include <errno.h>
#include <limits.h>

#include "agentconf.h"
#include "fuzzer.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_string(data, size);
        char path[PATH_MAX];
        struct agent_config c;

        fuzz_file("agent.conf", data, size, path);
        agentconf_defaults(&c);
        FUZZ_CHECK(agentconf_load(&c, path) == 0);
        FUZZ_CHECK(c.n_problems <= AGENTCONF_MAX_PROBLEMS && !c.problems[c.n_problems]);
        FUZZ_CHECK(c.koompi_boot && c.polkit && c.required_dir && c.wanted_dir);
        agentconf_free(&c);
        (void)agentconf_line_of(text, "health", "check_timeout");
        return 0;
}
