# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the update host tests: Debian's nginx on 127.0.0.1, on a free port, with a
# configuration, pid and logs of the test's own under $T/nginx, serving $T/mirror. Stopped by
# its PID. Sourced after lib.sh.
NGINX_PID=""

# A port nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nginx [PORT]: serves $T/mirror at http://127.0.0.1:$NGINX_PORT (MIRROR names it), on
# PORT or a free one; NGINX_SERVER_EXTRA (directives) joins the server block, NGINX_HTTP_EXTRA
# the http block.
start_nginx() {
	command -v nginx >/dev/null || return 1
	NGINX_PORT=${1:-$(free_port)}
	MIRROR=http://127.0.0.1:$NGINX_PORT
	mkdir -p "$T/nginx/tmp" "$T/mirror"
	cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
    access_log $T/nginx/access.log;
    client_body_temp_path $T/nginx/tmp/body;
    proxy_temp_path $T/nginx/tmp/proxy;
    fastcgi_temp_path $T/nginx/tmp/fastcgi;
    uwsgi_temp_path $T/nginx/tmp/uwsgi;
    scgi_temp_path $T/nginx/tmp/scgi;
    default_type application/octet-stream;
    ${NGINX_HTTP_EXTRA:-}
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $T/mirror;
        ${NGINX_SERVER_EXTRA:-}
    }
}
CONF
	nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" >"$T/nginx/stdout.log" 2>&1 &
	NGINX_PID=$!
	n=100
	while [ $n -gt 0 ]; do
		curl -s --max-time 5 -o /dev/null "$MIRROR/" && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || return 1
		n=$((n - 1))
		sleep 0.1
	done
	return 1
}

stop_nginx() {
	[ -z "$NGINX_PID" ] || { kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; }
	NGINX_PID=""
}
