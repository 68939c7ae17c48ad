#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# pkgcheck.sh MAP NAME...: fails, naming the Debian package to install, when pkg-config does
# not know one of the libraries NAME (or iniparser's header is missing).
set -u
map=$1; shift
pc=${PKG_CONFIG:-pkg-config}
command -v "$pc" >/dev/null 2>&1 || { echo "build: $pc is missing: apt-get install pkg-config (or: make deps)" >&2; exit 1; }
missing=""
for name in "$@"; do
	"$pc" --exists "$name" 2>/dev/null && continue
	deb=$(awk -v n="$name" '$1 == n { print $2 }' "$map")
	echo "build: the library '$name' is missing (pkg-config knows no '$name'): apt-get install ${deb:-the package that ships $name.pc}" >&2
	missing="$missing ${deb:-$name}"
done
if [ ! -e /usr/include/iniparser/iniparser.h ] && [ ! -e /usr/include/iniparser.h ]; then
	echo "build: iniparser.h is missing: apt-get install libiniparser-dev" >&2
	missing="$missing libiniparser-dev"
fi
[ -z "$missing" ] && exit 0
echo "build: install:$missing (or run: make deps)" >&2
exit 1
