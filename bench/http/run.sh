#!/usr/bin/env bash
# HTTP throughput of vtpd next to nginx serving the same bytes, with wrk, on 127.0.0.1.
#
#   bench/http/run.sh [BUILD_DIR]          (default: build; builds nothing)
#
# Runs wrk with CONNECTIONS connections and THREADS threads for DURATION against:
#   vtpd  GET /health                   (kernel route: no plugin, no database)
#   vtpd  POST /api/v1/hello/echo       (example plugin: a JSON body parsed and answered)
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
log_level=${LOG_LEVEL:-warn}

source "$(dirname "$0")/../common.sh"
need_tools wrk nginx curl python3
find_vtpd "$build" hello

# --- vtpd: the example plugin, SQLite in the work dir, no access log (log.level warn).
write_vtpd_config "$log_level" hello
start_vtpd "$vtpd" ${VTPD_THREADS:+VTP_HTTP__THREADS=$VTPD_THREADS}
curl -fs "$vtpd_url/api/v1/hello/bench" >/dev/null # the row the write benchmark updates

# --- nginx: the same bytes as vtpd's /health, keep-alive, no access log, nothing outside $work.
mkdir -p "$work/www"
curl -fs "$vtpd_url/health" >"$work/www/health.json"
chmod 644 "$work/www/health.json"
start_nginx "" "        location = /health {
            default_type application/json;
            alias $work/www/health.json;
        }"
wait_for "$nginx_url/health" nginx || { cat "$work/nginx-error.log" >&2; exit 1; }
cmp -s "$work/www/health.json" <(curl -fs "$nginx_url/health") ||
    { echo "nginx does not serve vtpd's /health bytes" >&2; exit 1; }

echo "vtpd ${build_type:-?} build ($vtpd), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), wrk -t$threads -c$connections -d$duration, $(nproc) cores"
bench "nginx /health" nginx "$nginx_url/health"
bench "vtpd /health" health "$vtpd_url/health"
cat >"$work/echo.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"course":"CS101","room":"A1","seats":30}'
wrk.headers["Content-Type"] = "application/json"
LUA
bench "vtpd POST /api/v1/hello/echo" echo "$vtpd_url/api/v1/hello/echo" -s "$work/echo.lua"
bench "vtpd GET /api/v1/hello" list "$vtpd_url/api/v1/hello"
bench "vtpd GET /api/v1/hello/bench" write "$vtpd_url/api/v1/hello/bench"
echo
echo "vtpd/nginx req/s: /health $(ratio "$rps_health" "$rps_nginx"), POST /api/v1/hello/echo (plugin JSON route) $(ratio "$rps_echo" "$rps_nginx"), /api/v1/hello (SQLite read) $(ratio "$rps_list" "$rps_nginx"), /api/v1/hello/{name} (SQLite write) $(ratio "$rps_write" "$rps_nginx")"
echo "target: >= 0.50 of nginx's req/s with p99 < 10 ms at $connections connections"
if grep -q '"level":"error"' "$work/vtpd.log"; then
    echo "vtpd logged errors:" >&2
    grep '"level":"error"' "$work/vtpd.log" | head -5 >&2
fi
