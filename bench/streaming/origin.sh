#!/usr/bin/env bash
# vtpd as an LL-HLS origin beside nginx serving the same parts and playlists as static files, both
# loaded by the same C++ viewers (vtp-llhls-viewers) on 127.0.0.1:
#
#   bench/streaming/origin.sh [BUILD_DIR]     (default: build; builds nothing: configure with -DVTP_BUILD_BENCH=ON)
#
# The stream: ffmpeg pushes RTMP (-re, testsrc2 640x360 at 30 fps and a tone; libx264 ultrafast) to
# vtp-stream-worker, which encodes ONE rung (RUNG, 360:800, libx264 PRESET veryfast) and AAC 64 kbit/s
# into CMAF parts of PART_MS (250) in segments of SEGMENT_MS (2000), a DVR window of 60 s. One rung so
# that the machine's CPU goes to serving, not encoding; the same pipeline on both sides.
#   vtpd:  auth, courses, recording, streaming; a stream created by an admin; its worker started by
#          vtpd; viewers on /api/v1/streams/ID/live/TOKEN/360p.m3u8 with blocking reloads
#          (_HLS_msn/_HLS_part of the preload hint), then the part; vtpd holds the reload until
#          the part exists (BlockingWaiters) and serves the part from its file.
#   nginx: the same worker (same options, same nice) writing into nginx's root, and vtp-llhls-mirror
#          turning its reports into the same LL-HLS playlists (the plugin's LivePlaylist, fed as vtpd
#          feeds it), renamed into the root at each update. nginx (NGINX_WORKERS 2, sendfile, no
#          access log) serves both as static files. It cannot hold a reload: viewers poll the
#          playlist every POLL_MS (the part interval, a random phase each), then fetch every new
#          part. This is the fair reference: the best a static origin does with the same files.
# Each viewer's delivery delay of a part is measured from the instant the worker renamed the part
# into place (inotify, the same instant for both origins) to the viewer's last byte of it; a part not
# received counts as late. For each N in VIEWERS (250 500 1000 2000 3000 4000): WARMUP (6 s; the
# viewers connect during its first half), DURATION (15 s) measured, DRAIN (2 s). PASS: p99 < LIMIT_MS
# (500) with every viewer connected. A side's ramp stops at its first failure (STOP_AFTER_FAIL=0:
# not). RUNS (3) runs, alternating which side goes first; the largest passing N per run, their
# median per side, and the ratio vtpd/nginx are printed, with the CPU of the server processes (vtpd;
# nginx's workers and the mirror) and the environment before and after.
# Other environment: GEN_THREADS (2), SIDES ("nginx vtpd"), VTPD_THREADS (http.threads).
set -euo pipefail

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
read -r -a ramp <<<"${VIEWERS:-250 500 1000 2000 3000 4000}"
runs=${RUNS:-3}
warmup=${WARMUP:-6}
duration=${DURATION:-15}
drain=${DRAIN:-2}
part_ms=${PART_MS:-250}
segment_ms=${SEGMENT_MS:-2000}
poll_ms=${POLL_MS:-$part_ms}
limit_ms=${LIMIT_MS:-500}
rung=${RUNG:-360:800}
preset=${PRESET:-veryfast}
gen_threads=${GEN_THREADS:-2}
stop_after_fail=${STOP_AFTER_FAIL:-1}
read -r -a sides <<<"${SIDES:-nginx vtpd}"
max_viewers=$(printf '%s\n' "${ramp[@]}" | sort -n | tail -1)
export NGINX_WORKER_CONNECTIONS=$((max_viewers + 1024))

source "$here/../common.sh"
need_tools ffmpeg nginx curl python3 pgrep
find_vtpd "$build" auth courses recording streaming
vtpctl=$build/kernel/vtpctl
worker=$plugins/vtp-stream-worker
gen=$build/bench/streaming/vtp-llhls-viewers
mirror=$build/bench/streaming/vtp-llhls-mirror
for tool in "$vtpctl" "$worker" "$gen" "$mirror"; do
    [[ -x $tool ]] || { echo "no $tool: configure with -DVTP_BUILD_BENCH=ON and build it" >&2; exit 1; }
done
(($(ulimit -n) > 2 * max_viewers + 1024)) || ulimit -n $((2 * max_viewers + 2048))

# --- the environment, printed before and after
steal_pct() { # over one second, from /proc/stat
    python3 - <<'PY'
import time
def read():
    f = [int(x) for x in open('/proc/stat').readline().split()[1:]]
    return sum(f), f[7] if len(f) > 7 else 0
t0, s0 = read(); time.sleep(1); t1, s1 = read()
print(f"{100.0 * (s1 - s0) / max(1, t1 - t0):.1f}%")
PY
}
environment() { # WHEN
    local flags_var
    flags_var="CMAKE_CXX_FLAGS_$(tr '[:lower:]' '[:upper:]' <<<"${build_type:-none}")"
    echo "== environment ($1, $(date -u +%FT%TZ))"
    echo "commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet HEAD -- . ../../plugins ../../kernel 2>/dev/null || echo ' (with uncommitted changes)'), build ${build_type:-?} ($(sed -n "s/^$flags_var:[A-Z]*=//p" "$build/CMakeCache.txt") $(sed -n 's/^CMAKE_CXX_FLAGS:[A-Z]*=//p' "$build/CMakeCache.txt")), $(c++ --version | head -1)"
    echo "cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) x $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), steal $(steal_pct), $(uname -sr)"
    echo "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (${NGINX_WORKERS:-2} workers), $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
}

# --- vtpd: auth, courses, recording, streaming; ingest on free loopback ports
write_vtpd_config warn auth courses recording streaming
rtmp_port=$(free_port)
srt_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >>"$work/vtpd.toml" <<TOML
[http]
${VTPD_THREADS:+threads = $VTPD_THREADS}
max_connections = $((max_viewers + 1000))
[plugins.auth.tokens]
access_ttl_seconds = 86400
[plugins.streaming]
ingest.rtmp_url = "rtmp://127.0.0.1/live"
ingest.srt_url = "srt://127.0.0.1"
ingest.listen_address = "127.0.0.1"
ingest.rtmp_ports = "$rtmp_port"
ingest.srt_ports = "$srt_port"
live.rungs = ["$rung"]
live.audio_kbps = 64
live.preset = "$preset"
live.segment_ms = $segment_ms
live.part_ms = $part_ms
live.dvr_window_seconds = 60
live.max_waiters_per_rendition = $((max_viewers * 2 + 100))
TOML
# [http] is written twice otherwise: fold the appended keys into the first table.
python3 - "$work/vtpd.toml" <<'PY'
import sys
lines = open(sys.argv[1]).read().split('\n')
second = [i for i, l in enumerate(lines) if l == '[http]'][1]
extra = []
i = second + 1
while i < len(lines) and not lines[i].startswith('['):
    if lines[i].strip(): extra.append(lines[i])
    i += 1
del lines[second:i]
first = lines.index('[http]')
lines[first + 1:first + 1] = extra
open(sys.argv[1], 'w').write('\n'.join(lines))
PY
password="bench-admin-$RANDOM$RANDOM"
printf '%s\n' "$password" | "$vtpctl" --config "$work/vtpd.toml" user create --email admin@bench.example --role admin --name Admin >/dev/null

vtpd_pid=
start_origin_vtpd() {
    rm -f "$work/ready.json"
    start_vtpd "$vtpd"
    vtpd_pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$work/ready.json")
}
stop_origin_vtpd() {
    kill "$vtpd_pid" 2>/dev/null || true
    wait "$vtpd_pid" 2>/dev/null || true
    if grep -q '"level":"error"' "$work/vtpd.log" 2>/dev/null; then
        echo "vtpd logged errors:" >&2
        grep '"level":"error"' "$work/vtpd.log" | head -5 >&2
    fi
}

# The stream, made once (its row survives vtpd's restarts): id, key, playback path.
start_origin_vtpd
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
token=$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"admin@bench.example\",\"password\":\"$password\"}" \
    "$vtpd_url/api/v1/auth/login" | json 'd["access_token"]')
stream=$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d '{"room_id":"bench-room","title":"Origin bench"}' "$vtpd_url/api/v1/streams")
stream_id=$(json 'd["id"]' <<<"$stream")
stream_key=$(json 'd["key"]' <<<"$stream")
hls=$(json 'd["playback"]["hls"]' <<<"$stream")
stop_origin_vtpd
rendition=${rung%%:*}p
vtpd_playlist=${hls%master.m3u8}$rendition.m3u8

# One bounded push: long enough for a side's whole ramp.
push_seconds=$((${#ramp[@]} * (warmup + duration + drain + 4) + 90))
push() { # RTMP_URL
    ffmpeg -hide_banner -loglevel error -nostdin -re -f lavfi -i "testsrc2=size=640x360:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$push_seconds" \
        -c:v libx264 -preset ultrafast -tune zerolatency -g 60 -pix_fmt yuv420p -b:v 1000k \
        -c:a aac -b:a 96k -f flv "$1" 2>"$work/ffmpeg.log" &
    push_pid=$!
    pids+=("$push_pid")
}
stop_push() {
    kill "$push_pid" 2>/dev/null || true
    wait "$push_pid" 2>/dev/null || true
}
wait_parts() { # DIR-GLOB: prints the rendition directory once it holds a few parts
    local d
    for _ in $(seq 300); do
        for d in $1; do
            if [[ -d $d ]] && (($(find "$d" -name 'part-*.m4s' | wc -l) >= 8)); then
                echo "$d"
                return 0
            fi
        done
        sleep 0.1
    done
    echo "no parts came in $1" >&2
    cat "$work/ffmpeg.log" >&2
    return 1
}

results=$work/results.jsonl
: >"$results"
side_vtpd() { # RUN
    start_origin_vtpd
    push "rtmp://127.0.0.1:$rtmp_port/live/$stream_key"
    local dir port
    dir=$(wait_parts "$work/data/streaming/live/$stream_id/s*/$rendition")
    port=${vtpd_url##*:}
    curl -fsS -o /dev/null "$vtpd_url$vtpd_playlist" || { echo "vtpd does not serve $vtpd_playlist" >&2; exit 1; }
    for n in "${ramp[@]}"; do
        "$gen" --port "$port" --playlist "$vtpd_playlist" --watch "$dir" --mode blocking --viewers "$n" --threads "$gen_threads" \
            --warmup-s "$warmup" --duration-s "$duration" --drain-s "$drain" --limit-ms "$limit_ms" --cpu-pids "$vtpd_pid" \
            --label vtpd >"$work/gen.out"
        head -1 "$work/gen.out"
        tail -1 "$work/gen.out" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["run"]=int(sys.argv[1]); print(json.dumps(d))' "$1" >>"$results"
        if [[ $stop_after_fail == 1 ]] && grep -q '"pass":false' <(tail -1 "$work/gen.out"); then break; fi
    done
    stop_push
    stop_origin_vtpd
}

side_nginx() { # RUN
    local root=$work/nginx-root/live port mirror_pid nginx_pid workers
    rm -rf "$work/nginx-root" && mkdir -p "$root"
    chmod -R a+rX "$work/nginx-root"
    VTP_STREAM_KEY=$stream_key "$mirror" --root "$root" --segment-ms "$segment_ms" --part-ms "$part_ms" --dvr-window-s 60 -- \
        /usr/bin/nice -n 5 "$worker" --listen "rtmp://127.0.0.1:$rtmp_port/live/from-env" --out-dir "$root" --rung "$rung" \
        --audio-kbps 64 --segment-ms "$segment_ms" --part-ms "$part_ms" --preset "$preset" --idle-timeout-ms 3600000 \
        --stall-timeout-ms 4000 --max-input-kbps 25000 2>"$work/mirror.log" &
    mirror_pid=$!
    pids+=("$mirror_pid")
    start_nginx "    sendfile on;
    tcp_nopush on;
    types { application/vnd.apple.mpegurl m3u8; video/mp4 m4s mp4; }" "        location /live/ {
            root $work/nginx-root;
        }"
    nginx_pid=${pids[-1]}
    sleep 0.5 # the worker listens
    push "rtmp://127.0.0.1:$rtmp_port/live/$stream_key"
    local dir
    dir=$(wait_parts "$root/$rendition")
    chmod -R a+rX "$work/nginx-root"
    wait_for "$nginx_url/live/$rendition.m3u8" nginx || { cat "$work/nginx-error.log" >&2; exit 1; }
    workers=$(pgrep -d, -P "$nginx_pid")
    port=${nginx_url##*:}
    for n in "${ramp[@]}"; do
        "$gen" --port "$port" --playlist "/live/$rendition.m3u8" --watch "$dir" --mode polling --poll-ms "$poll_ms" --viewers "$n" \
            --threads "$gen_threads" --warmup-s "$warmup" --duration-s "$duration" --drain-s "$drain" --limit-ms "$limit_ms" \
            --cpu-pids "$workers,$mirror_pid" --label nginx >"$work/gen.out"
        head -1 "$work/gen.out"
        tail -1 "$work/gen.out" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["run"]=int(sys.argv[1]); print(json.dumps(d))' "$1" >>"$results"
        if [[ $stop_after_fail == 1 ]] && grep -q '"pass":false' <(tail -1 "$work/gen.out"); then break; fi
    done
    stop_push
    kill "$nginx_pid" "$mirror_pid" 2>/dev/null || true
    wait "$nginx_pid" "$mirror_pid" 2>/dev/null || true
}

environment before
echo "stream: $rendition only ($rung kbit/s, libx264 $preset) + AAC 64 kbit/s, parts $part_ms ms, segments $segment_ms ms;" \
    "viewers: blocking reloads on vtpd, polls every $poll_ms ms on nginx; $gen_threads generator threads; PASS: p99 < $limit_ms ms"
for run in $(seq "$runs"); do
    order=("${sides[@]}")
    if ((run % 2 == 0)); then order=(); for ((k = ${#sides[@]} - 1; k >= 0; k--)); do order+=("${sides[k]}"); done; fi
    for side in "${order[@]}"; do
        echo "-- run $run: $side"
        "side_$side" "$run"
    done
done
environment after

python3 - "$results" "$limit_ms" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
limit = float(sys.argv[2])
sides = sorted({r["label"] for r in rows})
runs = sorted({r["run"] for r in rows})
print()
print(f"largest N with p99 part delivery < {limit:.0f} ms (every viewer connected), per run:")
best = {}
for s in sides:
    per_run = []
    for run in runs:
        ok = [r["viewers"] for r in rows if r["label"] == s and r["run"] == run and r["pass"]]
        per_run.append(max(ok) if ok else 0)
    best[s] = statistics.median(per_run) if per_run else 0
    print(f"  {s:6s} {per_run}  median {best[s]:.0f}")
print()
print("median over runs, per N:   p50 / p99 ms, server CPU %, req/s-equivalent requests")
for s in sides:
    for n in sorted({r["viewers"] for r in rows if r["label"] == s}):
        rs = [r for r in rows if r["label"] == s and r["viewers"] == n]
        p = lambda k: statistics.median([r[k] if r[k] is not None else float("inf") for r in rs])
        print(f"  {s:6s} N={n:5d} ({len(rs)} runs): p50 {p('p50_ms'):8.1f}  p99 {p('p99_ms'):8.1f}  "
              f"server cpu {p('server_cpu_pct'):5.1f}%  generator cpu {p('generator_cpu_pct'):5.1f}%  "
              f"missed {p('missed'):.0f}  errors {p('errors'):.0f}")
if "vtpd" in best and "nginx" in best and best["nginx"] > 0:
    print()
    print(f"vtpd/nginx viewers within {limit:.0f} ms: {best['vtpd']:.0f} / {best['nginx']:.0f} = {best['vtpd'] / best['nginx']:.2f}")
print("target: >= 0.80 of nginx's, and >= 2000 viewers")
PY
