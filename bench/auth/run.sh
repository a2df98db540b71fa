#!/usr/bin/env bash
# The auth plugin's two costs, on 127.0.0.1, each beside its reference in the same run:
#
#   bench/auth/run.sh [BUILD_DIR]          (default: build; builds nothing)
#
# 1. Logins: wrk POSTs /api/v1/auth/login (Argon2id at the plugin's default parameters,
#    m=19456 KiB, t=2, p=1) with 1 connection (the time of one login) and with LOGIN_CONNECTIONS
#    (throughput, every core hashing), beside Debian's `argon2` command computing the same hash
#    (one hash's time, and the hashes/s that many cores could do). The ratios should be near 1:
#    a login costs its hash, on purpose.
# 2. Verification: wrk GETs /health without and with a bearer token (the kernel verifies a token
#    on any route: signature, claims, revocation), CONNECTIONS connections; the overhead is
#    1 - with/without. Target: at most 15%. Also /api/v1/hello/me, a plugin route that needs a
#    user (verify, role check, handler), for reference.
# Environment: DURATION (10s), CONNECTIONS (64), THREADS (2), LOGIN_CONNECTIONS (cores).
set -euo pipefail

build=${1:-build}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
cores=$(nproc)
login_connections=${LOGIN_CONNECTIONS:-$cores}

source "$(dirname "$0")/../common.sh"
need_tools wrk curl python3 argon2
find_vtpd "$build" auth hello

write_vtpd_config warn auth hello
cat >>"$work/vtpd.toml" <<TOML
[plugins.auth]
registration = "open"
[plugins.auth.throttle]
address_failures = 100000
TOML
start_vtpd "$vtpd"

password="bench-password-$RANDOM-long"
curl -fs -o /dev/null -H 'Content-Type: application/json' "$vtpd_url/api/v1/auth/register" \
    -d "{\"email\":\"bench@uni.example\",\"password\":\"$password\",\"display_name\":\"Bench\"}"
token=$(curl -fs -H 'Content-Type: application/json' "$vtpd_url/api/v1/auth/login" \
    -d "{\"email\":\"bench@uni.example\",\"password\":\"$password\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
cat >"$work/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"email":"bench@uni.example","password":"$password"}'
wrk.headers["Content-Type"] = "application/json"
LUA

echo "vtpd ${build_type:-?} build, auth plugin defaults (Argon2id m=19456 KiB t=2 p=1), $cores cores"
echo
echo "1. logins"
# One hash by the reference implementation: the median of 9 runs of Debian's argon2 tool.
cli_ms=$(for _ in $(seq 9); do
    echo -n "$password" | argon2 "saltsaltsalt1234" -id -t 2 -k 19456 -p 1 -l 32 | awk '/seconds/ {print $1 * 1000}'
done | sort -n | sed -n 5p)
connections=1 threads=1 bench "vtpd login, 1 connection" login1 "$vtpd_url/api/v1/auth/login" -s "$work/login.lua"
connections=$login_connections threads=1 bench "vtpd login, $login_connections connections" loginN "$vtpd_url/api/v1/auth/login" -s "$work/login.lua"
login_ms=$(python3 -c "import sys; print(f'{1000 / float(sys.argv[1]):.1f}')" "$rps_login1")
cli_rate=$(python3 -c "import sys; print(f'{int(sys.argv[2]) * 1000 / float(sys.argv[1]):.1f}')" "$cli_ms" "$login_connections")
printf '%-34s %12s ms\n' "argon2 tool, one hash (median of 9)" "$cli_ms"
printf '%-34s %12s ms   (1 / logins/s at 1 connection)\n' "vtpd, one login" "$login_ms"
echo "one login / one argon2 hash: $(ratio "$login_ms" "$cli_ms")"
echo "logins/s at $login_connections connections / $login_connections x argon2 hashes/s ($cli_rate): $(ratio "$rps_loginN" "$cli_rate")"

echo
echo "2. token verification (wrk -t$threads -c$connections -d$duration)"
# /health verifies a token when one comes along, so the same route with and without one isolates
# the verification; two runs without bracket the one with, to average out drift.
bench "vtpd GET /health" public "$vtpd_url/health"
bench "vtpd GET /health + bearer token" authed "$vtpd_url/health" -H "Authorization: Bearer $token"
bench "vtpd GET /health, again" public2 "$vtpd_url/health"
# A plugin route that needs a user (verify, then the kernel's role check, then the handler),
# beside a public plugin route of the same plugin.
bench "vtpd GET /api/v1/hello/me (JWT)" me "$vtpd_url/api/v1/hello/me" -H "Authorization: Bearer $token"
python3 - "$rps_public" "$rps_public2" "$rps_authed" <<'PY'
import sys
public = (float(sys.argv[1]) + float(sys.argv[2])) / 2
authed = float(sys.argv[3])
print(f"with token / without on /health: {authed / public:.2f}  (verification overhead {(1 - authed / public) * 100:.1f}%; target <= 15%)")
PY
if grep -q '"level":"error"' "$work/vtpd.log"; then
    echo "vtpd logged errors:" >&2
    grep '"level":"error"' "$work/vtpd.log" | head -5 >&2
fi
