#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A corrupt agent.conf: the agent starts anyway, on the defaults of the keys it could not use,
# logs the file, line and key, and koompi status shows the problem.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"

[ -x "$AGENT" ] && [ -x "$KOOMPI" ] || { not_ok "koompi-agent and koompi are built" "make all"; finish; exit 1; }
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a private bus" start_bus

# Bad values and an unknown key: those keys only.
write_agent_conf "[access]" "polkit = sometimes" "frobnicate = 1" "[privacy]" "telemetry = perhaps"
check "bad values: the agent starts" start_agent
check "the log names file, line and key of the bad value" \
	grep -q "$T/agent.conf:8: access:polkit: bad value 'sometimes' (expected auto, yes or no), the default is used" "$T/agent.log"
check "the log names the unknown key" grep -q "$T/agent.conf:9: access:frobnicate: unknown key, ignored" "$T/agent.log"
expect_rc "koompi status --json" 0 "$KOOMPI" --json status
check "the problems are in the status" json_true "$T/out" \
	'len(j["problems"]) == 3 and any(":8: access:polkit: bad value" in p for p in j["problems"]) and any(":11: privacy:telemetry: bad value" in p for p in j["problems"])'
check "the good keys still apply (the root facts come from the koompi-boot named)" json_true "$T/out" \
	'j["booted_root"] == "@root-current"'
expect_rc "koompi status" 0 "$KOOMPI" status
check "text: the problems" grep -q "^Problems: *$T/agent.conf:\(8\|9\|11\): " "$T/out"
stop_agent

# Not INI at all: every default (so koompi-boot is looked for at its default place).
printf '[agent]\nkoompi_boot = %s\nthis line is no INI\n' "$K" >"$T/broken.conf"
check "not INI: the agent starts" start_agent "$T/broken.conf"
check "the log names the file and the line" grep -q "$T/broken.conf: not an INI file, every default is used: .*(3)" "$T/agent.log"
expect_rc "koompi status --json" 0 "$KOOMPI" --json status
check "the problem is in the status" json_true "$T/out" \
	'any("broken.conf: not an INI file" in p for p in j["problems"])'
stop_agent

# Unreadable (a folder): the defaults.
mkdir -p "$T/folder.conf"
check "unreadable: the agent starts" start_agent "$T/folder.conf"
expect_rc "koompi status --json" 0 "$KOOMPI" --json status
check "the problem is in the status" json_true "$T/out" \
	'any("folder.conf: cannot be read" in p for p in j["problems"])'
stop_agent

# Missing: the defaults, and no problem with the file.
check "missing: the agent starts" start_agent "$T/missing.conf"
check "the log says the defaults are used" grep -q "missing.conf is missing: every setting is its default" "$T/agent.log"
finish
