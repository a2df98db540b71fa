#!/usr/bin/env bash
# HTTP throughput of vtpd next to nginx serving the same bytes, with wrk, on 127.0.0.1.
#
#   bench/http/run.sh [BUILD_DIR]          (default: build; builds nothing)
#
# Runs wrk with CONNECTIONS connections and THREADS threads for DURATION against:
#   vtpd  GET /health                   (kernel route: no plugin, no database)
#   vtpd  GET /api/v1/hello             (example plugin: one SQLite SELECT)
#   vtpd  GET /api/v1/hello/{name}      (example plugin: one SQLite INSERT .. ON CONFLICT, a write)
#   nginx GET /health                   (the bytes vtpd's /health returns, from a file)
# and prints requests/s, p99 latency and the ratio vtpd/nginx. Everything it starts is stopped
# on exit. Environment: DURATION (10s), CONNECTIONS (64), THREADS (2), VTPD_THREADS (vtpd's
# http.threads; default: the kernel's default), NGINX_WORKERS (2), LOG_LEVEL (warn).
set -euo pipefail

build=${1:-build}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
nginx_workers=${NGINX_WORKERS:-2}
log_level=${LOG_LEVEL:-warn}

vtpd=$build/kernel/vtpd
plugins=$(realpath "$build/plugins-out")
for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (bash packaging/dev/deps.sh installs it)" >&2; exit 1; }
done
[[ -x $vtpd ]] || { echo "no $vtpd: build first (cmake --build $build)" >&2; exit 1; }
[[ -f $plugins/hello.so ]] || { echo "no $plugins/hello.so: build the example plugin" >&2; exit 1; }
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
if [[ $build_type != Release && $build_type != RelWithDebInfo ]]; then
    echo "warning: $build is a '${build_type:-unknown}' build; figures for an optimised build need" >&2
    echo "         cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release" >&2
fi

work=$(mktemp -d /tmp/vtp-bench-XXXXXX)
chmod 755 "$work" # nginx workers run as an unprivileged user and read www/ below
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() { # FILE-or-URL, what
    for _ in $(seq 300); do
        if [[ $1 == http* ]]; then curl -fs -o /dev/null "$1" && return 0; else [[ -s $1 ]] && return 0; fi
        sleep 0.1
    done
    echo "$2 did not start" >&2
    return 1
}

# --- vtpd: the example plugin, SQLite in the work dir, no access log (log.level warn).
mkdir -p "$work/data"
cat >"$work/vtpd.toml" <<EOF
[http]
listen = "127.0.0.1:0"
[websocket]
listen = "127.0.0.1:0"
[storage]
data_dir = "$work/data"
[log]
level = "$log_level"
[plugins]
dir = "$plugins"
enabled = ["hello"]
EOF
env ${VTPD_THREADS:+VTP_HTTP__THREADS=$VTPD_THREADS} \
    "$vtpd" --config "$work/vtpd.toml" --ready-file "$work/ready.json" 2>"$work/vtpd.log" &
pids+=($!)
wait_for "$work/ready.json" vtpd || { cat "$work/vtpd.log" >&2; exit 1; }
vtpd_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$work/ready.json")
vtpd_url=http://127.0.0.1:$vtpd_port
curl -fs "$vtpd_url/api/v1/hello/bench" >/dev/null # the row the write benchmark updates

# --- nginx: the same bytes as vtpd's /health, keep-alive, no access log, nothing outside $work.
mkdir -p "$work/www" "$work/nginx-tmp"
curl -fs "$vtpd_url/health" >"$work/www/health.json"
chmod 644 "$work/www/health.json"
nginx_port=$(free_port)
cat >"$work/nginx.conf" <<EOF
worker_processes $nginx_workers;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_timeout 10s;
    keepalive_requests 1000;
    client_body_temp_path $work/nginx-tmp/body;
    proxy_temp_path $work/nginx-tmp/proxy;
    fastcgi_temp_path $work/nginx-tmp/fastcgi;
    uwsgi_temp_path $work/nginx-tmp/uwsgi;
    scgi_temp_path $work/nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        location = /health {
            default_type application/json;
            alias $work/www/health.json;
        }
    }
}
EOF
nginx -p "$work" -e "$work/nginx-error.log" -c "$work/nginx.conf" &
pids+=($!)
wait_for "http://127.0.0.1:$nginx_port/health" nginx || { cat "$work/nginx-error.log" >&2; exit 1; }
cmp -s "$work/www/health.json" <(curl -fs "http://127.0.0.1:$nginx_port/health") ||
    { echo "nginx does not serve vtpd's /health bytes" >&2; exit 1; }

# --- wrk: requests/s and p99 (in ms) of one run.
bench() { # NAME URL
    local out rps p99 errors
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$2")
    echo "$out" >"$work/wrk-$3.txt"
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {v=$2; u=v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                           f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1;
                           printf "%.2f", v * f}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
    printf '%-28s %12s req/s   p99 %8s ms   %s\n' "$1" "$rps" "$p99" "$errors"
    eval "rps_$3=$rps p99_$3=$p99"
}

echo "vtpd ${build_type:-?} build ($vtpd), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), wrk -t$threads -c$connections -d$duration, $(nproc) cores"
bench "nginx /health" "http://127.0.0.1:$nginx_port/health" nginx
bench "vtpd /health" "$vtpd_url/health" health
bench "vtpd GET /api/v1/hello" "$vtpd_url/api/v1/hello" list
bench "vtpd GET /api/v1/hello/bench" "$vtpd_url/api/v1/hello/bench" write

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
echo
echo "vtpd/nginx req/s: /health $(ratio "$rps_health" "$rps_nginx"), /api/v1/hello $(ratio "$rps_list" "$rps_nginx"), /api/v1/hello/{name} $(ratio "$rps_write" "$rps_nginx")"
echo "target: >= 0.50 of nginx's req/s with p99 < 10 ms at $connections connections"
if grep -q '"level":"error"' "$work/vtpd.log"; then
    echo "vtpd logged errors:" >&2
    grep '"level":"error"' "$work/vtpd.log" | head -5 >&2
fi
