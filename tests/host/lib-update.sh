# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the update host tests and benches: the release side of an update, signed by the
# test. Sourced after lib.sh, lib-agent.sh and lib-nginx.sh.
R=$(dirname "$K")/koompi-release
MACHINE_ID=0123456789abcdef0123456789abcdef
trap 'stop_nginx; agent_cleanup; cleanup' EXIT INT TERM

# require_update_tools TOOL...: the tools and the programs, or the test ends with a failure.
require_update_tools() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { not_ok "$tool is installed" "make deps"; finish; exit 1; }
	done
	[ -x "$AGENT" ] && [ -x "$KOOMPI" ] && [ -x "$R" ] || { not_ok "the programs are built" "make all"; finish; exit 1; }
}

# make_release_keys: a release key ($T/release.key, its public half in $T/keys for the agent's
# keys_dir), the mirror's channel folder, this machine's id in $T/machine-id, and DOWN, a URL
# nothing answers.
make_release_keys() {
	mkdir -p "$T/keys" "$T/mirror/stable"
	"$R" keygen -s "$T/release.key" -p "$T/keys/release.pub" >/dev/null || return 1
	echo "$MACHINE_ID" >"$T/machine-id"
	DOWN=http://127.0.0.1:$(free_port)
}

# start_update_world: nginx serving $T/mirror, a private bus and make_release_keys, each a check.
start_update_world() {
	check "nginx on 127.0.0.1" start_nginx
	check "a private bus" start_bus
	make_release_keys
}

# sign_manifest: signs the channel's manifest.json with the release key.
sign_manifest() {
	"$R" -m "$T/mirror/stable/manifest.json" -s "$T/release.key" sign >/dev/null
}
