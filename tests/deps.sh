#!/bin/sh
# Installs the Debian packages the build, the tests and the demo need, when any is missing.
set -eu
pkgs=$(grep -v '^#' "$(dirname "$0")/../config/debian-packages.txt" | tr '\n' ' ')
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: these Debian packages are missing and installing them needs root:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Packaged services (nginx for the update tests) must not start: the tests start their own.
# A policy-rc.d that refuses every start, only while installing and only when none is there.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
nginx_before=$(dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -c 'install ok installed')
rc=0
apt-get update -qq || rc=$?
# shellcheck disable=SC2086
[ "$rc" -ne 0 ] || apt-get install -y -qq --no-install-recommends $missing || rc=$?
[ -z "$own_policy" ] || rm -f "$policy"
if [ "$nginx_before" = 0 ] && command -v systemctl >/dev/null; then
	systemctl disable nginx >/dev/null 2>&1 || true
fi
exit "$rc"
