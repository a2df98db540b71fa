#!/usr/bin/env bash
# File responses: vtpd's sendfile path next to nginx serving the same files, with wrk, on 127.0.0.1.
#
#   bench/http/files.sh [BUILD_DIR]          (default: build; builds nothing)
#
# Both serve one 100 MiB file and 100 segments of 64 KiB (vtpd through testkit's
# GET /api/v1/testkit/files/{name}, Response::file; nginx with sendfile on, from the same
# directory), and wrk fetches:
#   the 100 MiB file whole, LARGE_CONNECTIONS (4) connections
#   the 64 KiB segments in turn (a Lua script names the next one), CONNECTIONS (64) connections
# It prints requests/s, transfer rate, p99 and the ratio vtpd/nginx of bytes per second.
# Environment: DURATION (10s), CONNECTIONS (64), LARGE_CONNECTIONS (4), THREADS (2), NGINX_WORKERS (2),
# VTPD_THREADS (vtpd's http.threads; default: the kernel's), LOG_LEVEL (warn).
set -euo pipefail

build=${1:-build}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
large_connections=${LARGE_CONNECTIONS:-4}
threads=${THREADS:-2}
log_level=${LOG_LEVEL:-warn}

source "$(dirname "$0")/../common.sh"
need_tools wrk nginx curl python3 cmp head
find_vtpd "$build" testkit

# --- the files, in the directory testkit serves (DATA/files) and nginx serves too.
write_vtpd_config "$log_level" testkit
files=$work/data/files
mkdir -p "$files"
head -c $((100 << 20)) /dev/urandom >"$files/large.bin"
for i in $(seq 0 99); do head -c $((64 << 10)) /dev/urandom >"$files/seg-$i.m4s"; done
chmod -R a+rX "$work/data"

start_vtpd "$vtpd" ${VTPD_THREADS:+VTP_HTTP__THREADS=$VTPD_THREADS}

# --- nginx: the same files under the same paths, sendfile as nginx is tuned for files.
start_nginx "    sendfile on;
    tcp_nopush on;" "        location /api/v1/testkit/files/ {
            default_type application/octet-stream;
            alias $files/;
        }"
wait_for "$nginx_url/api/v1/testkit/files/seg-0.m4s" nginx || { cat "$work/nginx-error.log" >&2; exit 1; }
for name in seg-7.m4s large.bin; do
    cmp -s "$files/$name" <(curl -fs "$vtpd_url/api/v1/testkit/files/$name") || { echo "vtpd does not serve $name whole" >&2; exit 1; }
    cmp -s "$files/$name" <(curl -fs "$nginx_url/api/v1/testkit/files/$name") || { echo "nginx does not serve $name whole" >&2; exit 1; }
done

cat >"$work/segments.lua" <<'LUA'
local n = 0
request = function()
    n = (n + 1) % 100
    return wrk.format("GET", "/api/v1/testkit/files/seg-" .. n .. ".m4s")
end
LUA

# One wrk run: the bench line of common.sh plus the transfer rate in MiB/s (sets mib_KEY).
bench_bytes() { # NAME KEY URL CONNECTIONS [WRK ARGS...]
    local name=$1 key=$2 url=$3
    connections=$4 bench "$name" "$key" "$url" "${@:5}"
    local rate
    rate=$(awk '/^Transfer\/sec:/ {v=$2; u=v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+$/, "", v);
                                    f = (u == "GB") ? 1024 : (u == "MB") ? 1 : (u == "KB") ? 1/1024 : 1/1048576;
                                    printf "%.1f", v * f}' "$work/wrk-$key.txt")
    printf '%-34s %12s MiB/s\n' "" "$rate"
    eval "mib_$key=$rate"
}

echo "vtpd ${build_type:-?} build ($vtpd), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (sendfile on, ${NGINX_WORKERS:-2} workers), wrk -t$threads -d$duration, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench_bytes "nginx 100 MiB file (-c$large_connections)" nginx_large "$nginx_url/api/v1/testkit/files/large.bin" "$large_connections" --timeout 30s
bench_bytes "vtpd 100 MiB file (-c$large_connections)" vtpd_large "$vtpd_url/api/v1/testkit/files/large.bin" "$large_connections" --timeout 30s
bench_bytes "nginx 64 KiB segments (-c$connections)" nginx_seg "$nginx_url" "$connections" -s "$work/segments.lua"
bench_bytes "vtpd 64 KiB segments (-c$connections)" vtpd_seg "$vtpd_url" "$connections" -s "$work/segments.lua"
echo
echo "vtpd/nginx bytes/s: 100 MiB file $(ratio "$mib_vtpd_large" "$mib_nginx_large"), 64 KiB segments $(ratio "$mib_vtpd_seg" "$mib_nginx_seg")"
echo "target: >= 0.80 of nginx's throughput"
if grep -q '"level":"error"' "$work/vtpd.log"; then
    echo "vtpd logged errors:" >&2
    grep '"level":"error"' "$work/vtpd.log" | head -5 >&2
fi
