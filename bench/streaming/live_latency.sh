#!/usr/bin/env bash
# Live glass-to-glass latency: VTP's LL-HLS beside nginx with Debian's RTMP module (the
# self-hosted setup many universities run today), fed the same RTMP push, both played by hls.js
# in Debian's chromium:
#
#   bench/streaming/live_latency.sh [BUILD_DIR]      (default: build; builds nothing)
#
# The push (plugins/streaming/tests/latency/push.mjs, standing in for OBS): WIDTHxHEIGHT (640x360)
# at FPS (30), the capture instant burned into every picture, libx264 PRESET (veryfast) at KBPS
# (1500), a keyframe every GOP_SECONDS (1), AAC; FLV over RTMP, each packet sent as it is muxed.
# The same command, the same picture and settings, into each server in turn.
#   - VTP: vtpd (auth, recording, streaming) with the streaming plugin's defaults (the live ladder
#     at or below the source: one 360p rung here; 2 s segments of 500 ms parts), played by hls.js
#     with lowLatencyMode (it holds back PART-HOLD-BACK from the edge) and maxLiveSyncPlaybackRate
#     1.5: hls.js starts at an independent part (a keyframe, one a segment) at or before its target,
#     and at its default rate of 1 never catches up; 1.5 lets it reach the target in seconds.
#   - nginx-rtmp: `hls on; hls_fragment 1s; hls_playlist_length 6s;`, played by hls.js with its
#     defaults for a stream without parts (3 target durations behind the edge). 1 s is its shortest
#     sensible fragment: it cuts only at keyframes, and its EXT-X-TARGETDURATION is whole seconds,
#     so a shorter fragment leaves hls.js's hold-back (3 x TARGETDURATION = 3 s) where it is and
#     only multiplies requests; the push's 1 s GOP is there so that nginx's fragments are 1 s.
# Glass-to-glass = when a frame is shown in the page (requestVideoFrameCallback) less the capture
# instant read back from it, same machine clock; every frame shown over SAMPLE_SECONDS (20) after
# WARMUP_SECONDS (8) of playback. CPU: the server side only (vtpd and its vtp-stream-worker
# processes; nginx's master and workers), utime+stime from /proc over the playback, in % of one
# core. Each side runs RUNS (3) times, alternating; printed: each run, the medians of p50/p95/CPU,
# the ratio of the p95s (target: VTP at most a third of nginx's, at the same CPU or less). The
# environment is printed first and last; a figure of record is a quiet machine's, from a fresh
# clone's optimised build.
set -euo pipefail

build=${1:-build}
runs=${RUNS:-3}
width=${WIDTH:-640} height=${HEIGHT:-360} fps=${FPS:-30} preset=${PRESET:-veryfast} kbps=${KBPS:-1500} gop=${GOP_SECONDS:-1}
warmup=${WARMUP_SECONDS:-8} sample=${SAMPLE_SECONDS:-20}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
rtmp_module=/usr/lib/nginx/modules/ngx_rtmp_module.so # dpkg -L libnginx-mod-rtmp

source "$here/../common.sh"
need_tools ffmpeg python3 node npm nginx chromium curl
[[ -f $rtmp_module ]] || { echo "missing $rtmp_module (bash packaging/dev/deps.sh installs libnginx-mod-rtmp)" >&2; exit 1; }
find_vtpd "$build" auth recording streaming
vtpctl=$build/kernel/vtpctl
[[ -x $build/plugins-out/vtp-stream-worker ]] || { echo "no vtp-stream-worker: build vtp_stream_worker" >&2; exit 1; }

# The page and the push, with their npm packages (hls.js, playwright-core) installed in $work.
cp "$src/plugins/streaming/tests/latency/"{package.json,package-lock.json,push.mjs,play.mjs} "$work/"
(cd "$work" && npm ci --no-audit --no-fund --silent >/dev/null) || { echo "npm ci failed" >&2; exit 1; }
chromium_bin=$(command -v chromium)

environment() {
    echo "environment: commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo ?)$(git -C "$src" diff --quiet HEAD 2>/dev/null || echo +changes), build ${build_type:-?}, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -r), ffmpeg $(ffmpeg -version | head -1 | cut -d' ' -f3), nginx $(nginx -v 2>&1 | cut -d/ -f2), chromium $(chromium --version 2>/dev/null | awk '{print $2}'), load $(cut -d' ' -f1-3 /proc/loadavg), steal $(awk '/^cpu /{print $9}' /proc/stat) ticks"
}
environment

# ---- VTP -----------------------------------------------------------------------------------------
rtmp_port=$(free_port)
srt_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_vtpd_config warn auth recording streaming
cat >>"$work/vtpd.toml" <<TOML
[plugins.auth.tokens]
access_ttl_seconds = 86400
[plugins.streaming]
ingest.rtmp_url = "rtmp://127.0.0.1/live"
ingest.srt_url = "srt://127.0.0.1"
ingest.listen_address = "127.0.0.1"
ingest.rtmp_ports = "$rtmp_port-$rtmp_port"
ingest.srt_ports = "$srt_port-$srt_port"
live.reconnect_grace_seconds = 0
TOML
password="bench-admin-$RANDOM$RANDOM"
printf '%s\n' "$password" | "$vtpctl" --config "$work/vtpd.toml" user create --email admin@bench.example --role admin \
    --name Admin >/dev/null 2>"$work/vtpctl.log"
start_vtpd "$vtpd"
vtpd_pid=${pids[-1]}
token=$(curl -fs -H 'Content-Type: application/json' "$vtpd_url/api/v1/auth/login" \
    -d "{\"email\":\"admin@bench.example\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# ---- nginx-rtmp ----------------------------------------------------------------------------------
nginx_rtmp_port=$(free_port) nginx_http_port=$(free_port)
mkdir -p "$work/nginx-tmp" "$work/hls"
chmod 777 "$work/hls" # written by nginx's worker (an unprivileged user)
cat >"$work/nginx-rtmp.conf" <<EOF
load_module $rtmp_module;
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
rtmp {
    server {
        listen 127.0.0.1:$nginx_rtmp_port;
        application live {
            live on;
            hls on;
            hls_path $work/hls;
            hls_fragment 1s;
            hls_playlist_length 6s;
        }
    }
}
http {
    access_log off;
    client_body_temp_path $work/nginx-tmp/body;
    proxy_temp_path $work/nginx-tmp/proxy;
    fastcgi_temp_path $work/nginx-tmp/fastcgi;
    uwsgi_temp_path $work/nginx-tmp/uwsgi;
    scgi_temp_path $work/nginx-tmp/scgi;
    types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; text/html html; }
    server {
        listen 127.0.0.1:$nginx_http_port;
        location /hls/ {
            alias $work/hls/;
            add_header Cache-Control no-cache;
            add_header Access-Control-Allow-Origin *;
        }
    }
}
EOF
nginx -p "$work" -e "$work/nginx-error.log" -c "$work/nginx-rtmp.conf" &
pids+=($!)
nginx_pid=${pids[-1]}

# ---- measuring -----------------------------------------------------------------------------------
# utime+stime (ticks) of a process and all its descendants now alive.
cpu_ticks() { # PID
    python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1]); children = {}; ticks = {}
for p in os.listdir("/proc"):
    if not p.isdigit(): continue
    try:
        stat = open(f"/proc/{p}/stat").read()
    except OSError:
        continue
    fields = stat[stat.rindex(")") + 2:].split()
    children.setdefault(int(fields[1]), []).append(int(p))
    ticks[int(p)] = int(fields[11]) + int(fields[12])
total, todo = 0, [root]
while todo:
    p = todo.pop()
    total += ticks.get(p, 0)
    todo += children.get(p, [])
print(total)
PY
}

# One run: push into URL, wait for the playlist, play it, print "p50 p95 cpu%" and keep the result.
run_one() { # NAME PUSH_URL PLAY_URL ORIGIN LOW_LATENCY HLS_CONFIG SERVER_PID READY_URL
    local name=$1 push_url=$2 play_url=$3 origin=$4 low=$5 config=$6 server=$7 ready=$8 pusher= t0 t1 c0 c1 out
    local push_args="{\"ffmpeg\":\"$(command -v ffmpeg)\",\"url\":\"$push_url\",\"width\":$width,\"height\":$height,\"fps\":$fps,\"preset\":\"$preset\",\"kbps\":$kbps,\"gop_seconds\":$gop}"
    # A stream's worker listens a moment after the stream is made: a push that finds no listener
    # exits, and is started again, until the playlist is there (30 s at most).
    for _ in $(seq 300); do
        if [[ -z ${pusher:-} ]] || ! kill -0 "$pusher" 2>/dev/null; then
            node "$work/push.mjs" "$push_args" >>"$work/push-$name.log" 2>&1 &
            pusher=$!
        fi
        curl -fs -o /dev/null "$ready" && break
        sleep 0.1
    done
    curl -fs -o /dev/null "$ready" || { echo "$name: no playlist at $ready" >&2; tail -5 "$work/push-$name.log" >&2; kill "$pusher"; exit 1; }
    c0=$(cpu_ticks "$server") t0=$(date +%s.%N)
    out=$(node "$work/play.mjs" "{\"chromium\":\"$chromium_bin\",\"origin\":\"$origin\",\"url\":\"$play_url\",\"lowLatency\":$low,\"hlsConfig\":$config,\"warmupSeconds\":$warmup,\"sampleSeconds\":$sample}")
    c1=$(cpu_ticks "$server") t1=$(date +%s.%N)
    kill "$pusher" 2>/dev/null || true # push.mjs ends its ffmpeg within 3 s
    wait "$pusher" 2>/dev/null || true
    echo "$out" >>"$work/play-$name.json"
    python3 - "$out" "$c0" "$c1" "$t0" "$t1" "$(getconf CLK_TCK)" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); c0, c1, t0, t1, hz = map(float, sys.argv[2:7])
if not r.get("ok") or r.get("p95") is None:
    print(f"failed: {json.dumps(r)[:600]}", file=sys.stderr); sys.exit(1)
cpu = (c1 - c0) / hz / (t1 - t0) * 100
print(f"{r['p50']} {r['p95']} {cpu:.1f} {len(r['samples'])} {r['misread']} {r['waiting']} {r['maxFrameGapMs']} {r.get('targetLatency')}")
PY
}

vtp_run() {
    local stream id rtmp hls
    stream=$(curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$vtpd_url/api/v1/streams" \
        -d "{\"room_id\":\"bench-$RANDOM\",\"title\":\"latency\"}")
    id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$stream")
    rtmp=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ingest"]["rtmp"])' "$stream")
    hls=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["playback"]["hls"])' "$stream")
    run_one vtp "$rtmp" "$hls" "$vtpd_url" true '{"maxLiveSyncPlaybackRate":1.5}' "$vtpd_pid" "$vtpd_url$hls"
    curl -fs -o /dev/null -X DELETE -H "Authorization: Bearer $token" "$vtpd_url/api/v1/streams/$id"
}

nginx_run() {
    local name=s$RANDOM
    run_one nginx "rtmp://127.0.0.1:$nginx_rtmp_port/live/$name" "/hls/$name.m3u8" "http://127.0.0.1:$nginx_http_port" false '{}' \
        "$nginx_pid" "http://127.0.0.1:$nginx_http_port/hls/$name.m3u8"
}

median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.0f}')" "$@"; }
median1() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.1f}')" "$@"; }

echo "push: ${width}x${height} ${fps} fps, libx264 $preset ${kbps} kb/s, keyframe every ${gop} s, AAC, RTMP; ${warmup} s warm-up, ${sample} s sampled per run; $runs runs each"
printf '%-6s %4s %8s %8s %8s %8s %8s %8s %8s %s\n' server run p50_ms p95_ms cpu_% frames misread waiting max_gap target_s
v50=() v95=() vcpu=() n50=() n95=() ncpu=()
for ((i = 1; i <= runs; i++)); do
    read -r a b c d e f g h < <(vtp_run || echo "x")
    [[ $a != x && -n $a ]] || { echo "VTP run $i failed" >&2; tail -20 "$work/vtpd.log" >&2; exit 1; }
    printf '%-6s %4s %8s %8s %8s %8s %8s %8s %8s %s\n' vtp "$i" "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h"
    v50+=("$a") v95+=("$b") vcpu+=("$c")
    read -r a b c d e f g h < <(nginx_run || echo "x")
    [[ $a != x && -n $a ]] || { echo "nginx run $i failed" >&2; tail -20 "$work/nginx-error.log" >&2; exit 1; }
    printf '%-6s %4s %8s %8s %8s %8s %8s %8s %8s %s\n' nginx "$i" "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h"
    n50+=("$a") n95+=("$b") ncpu+=("$c")
done
mv50=$(median "${v50[@]}") mv95=$(median "${v95[@]}") mvcpu=$(median1 "${vcpu[@]}")
mn50=$(median "${n50[@]}") mn95=$(median "${n95[@]}") mncpu=$(median1 "${ncpu[@]}")
echo "glass-to-glass (median of $runs): VTP LL-HLS p50 $mv50 ms p95 $mv95 ms, CPU $mvcpu % | nginx-rtmp HLS p50 $mn50 ms p95 $mn95 ms, CPU $mncpu %"
echo "ratio VTP/nginx: p95 $(ratio "$mv95" "$mn95") (target <= 0.33), p50 $(ratio "$mv50" "$mn50"), CPU $(ratio "$mvcpu" "$mncpu")"
environment
