#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# koompi search|info|install|list|remove --from flatpak through koompi-agent on a private bus,
# the agent running koompi-pkg-flatpak against a repository made by the test (lib-flatpak.sh)
# and a system installation of the test's own (FLATPAK_SYSTEM_DIR, inherited by the worker):
# the app's --filesystem=host and --device=all reach the risk check; a failure (the remote
# down) leaves the installation as it was and the agent serving, and names the remote and the
# failure, not "does not have it". Skipped while koompi has no
# package verbs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/lib-nginx.sh"
. "$(dirname "$0")/lib-flatpak.sh"
trap 'stop_nginx; agent_cleanup; cleanup' EXIT INT TERM

[ -x "$AGENT" ] && [ -x "$KOOMPI" ] || { not_ok "koompi-agent and koompi are built" "make all"; finish; exit 1; }
if ! "$KOOMPI" --help 2>&1 | grep -q '^  install'; then
	echo "test-pkg-flatpak-agent.sh: SKIPPED: koompi has no install verb yet"
	finish
	exit 0
fi
[ -n "$RUNTIME_SH" ] || { echo "test-pkg-flatpak-agent.sh: SKIPPED: no static busybox for the runtime"; finish; exit 0; }
build_flatpak_repo
check "nginx on 127.0.0.1 serving it" start_nginx
export FLATPAK_SYSTEM_DIR=$T/system
check "a system installation with the test remote" add_installation "$FLATPAK_SYSTEM_DIR"
make_agent_world || { not_ok "a Btrfs top level in a loop file"; finish; exit 1; }
check "a private bus" start_bus
write_agent_conf "[packages]" "workers_dir = $(dirname "$K")" "order = flatpak"
check "the agent starts" start_agent
installed() { flatpak list --system --app --columns=application | grep -qx "$1"; }

expect_rc "koompi search" 0 "$KOOMPI" --json search koompi
check "... finds the three apps, from flatpak" json_true "$T/out" \
	'sorted((r["name"], r["source"]) for r in j["results"]) == [(n, "flatpak") for n in ("org.koompi.Big", "org.koompi.Calm", "org.koompi.Hello")]'
expect_rc "koompi info of the app asking for the host" 0 "$KOOMPI" --json info --from flatpak org.koompi.Hello
cp "$T/out" "$T/info-hello.json"
check "... its permissions are reasons of its risk" json_true "$T/out" \
	'j["risk"] > 0.6 and any("filesystem=host" in r["text"] for r in j["reasons"]) and any("device=all" in r["text"] for r in j["reasons"])'
check "... no restart needed" json_true "$T/out" 'j["source"] == "flatpak" and not j["installed"]'
expect_rc "koompi install of an app asking for nothing" 0 "$KOOMPI" install --from flatpak org.koompi.Calm
check "... installed in the system installation" installed org.koompi.Calm
expect_rc "koompi list --from flatpak" 0 "$KOOMPI" --json list --from flatpak
check "... lists it, installed" json_true "$T/out" \
	'[(r["name"], r["installed"]) for r in j["results"]] == [("org.koompi.Calm", True)]'
if json_true "$T/info-hello.json" 'j["needs_confirmation"]'; then
	expect_rc "koompi install of the risky app, unconfirmed (exit 3)" 3 "$KOOMPI" install --from flatpak org.koompi.Hello
	check "... and nothing installed" sh -c '! flatpak list --system --app --columns=application | grep -qx org.koompi.Hello'
fi
expect_rc "koompi --yes install of it" 0 "$KOOMPI" --yes install --from flatpak org.koompi.Hello
check "... installed" installed org.koompi.Hello
expect_rc "koompi remove" 0 "$KOOMPI" remove org.koompi.Hello
check "... gone" sh -c '! flatpak list --system --app --columns=application | grep -qx org.koompi.Hello'
expect_rc "koompi install of an unknown app (exit 2)" 2 "$KOOMPI" install --from flatpak org.koompi.Nope

stop_nginx
state=$(deployed "$FLATPAK_SYSTEM_DIR")
expect_rc "koompi install with the remote down fails (exit 5)" 5 "$KOOMPI" install --from flatpak org.koompi.Big
check "... naming the remote and the failure" \
	grep -q "org.koompi.Big: flatpak could not be asked; flatpak: the Flatpak remote 'koompi-test' could not be read (" "$T/err"
check "... not saying flatpak does not have it" sh -c "! grep -q 'does not have it' '$T/err'"
check "... the installation as it was" test "$state" = "$(deployed "$FLATPAK_SYSTEM_DIR")"
check "the agent still serves" kill -0 "$AGENT_PID"
finish
