#!/usr/bin/env bash
# The streaming plugin's adaptive ladder of a recording (the recording plugin's media worker with
# --task ladder, as the streaming.ladder job runs it), beside the ffmpeg command producing the same
# rungs with the same settings, in the same run, on the same files:
#
#   bench/streaming/ladder.sh [BUILD_DIR]      (default: build; builds nothing)
#
# A lecture of MINUTES (10) at 1080p30: a camera (H.264/AAC) and a shared screen (H.264, slides
# that change every few seconds), each to 1080p, 720p, 480p and 360p (5000, 2800, 1400, 800 kbit/s,
# capped at 1.5x), libx264 PRESET (veryfast), keyframes every 2 s and no scene cuts, the screen at
# 15 fps with tune stillimage, AAC 128 kbit/s, 4 s CMAF segments (DASH with HLS playlists). Target:
# at most 1.05x ffmpeg's time. Each side runs RUNS (3) times, alternating; the medians and their
# ratio are printed. The inputs are made first with ffmpeg (not timed), in INPUT_DIR if set (and
# kept there: a later run with the same minutes reuses them).
set -euo pipefail

build=${1:-build}
minutes=${MINUTES:-10}
runs=${RUNS:-3}
preset=${PRESET:-veryfast}

source "$(dirname "$0")/../common.sh"
need_tools ffmpeg python3
worker=$build/plugins-out/vtp-media-worker
[[ -x $worker ]] || { echo "no $worker: build vtp_media_worker" >&2; exit 1; }
warn_unless_optimised "$build"

inputs=${INPUT_DIR:-$work}
mkdir -p "$inputs"
camera=$inputs/camera-${minutes}min-1080p.mp4 screen=$inputs/screen-${minutes}min-1080p.mp4
if [[ ! -s $camera ]]; then
    echo "making ${minutes} min of 1920x1080 30 fps camera H.264/AAC..." >&2
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t $((minutes * 60)) \
        -c:v libx264 -preset ultrafast -g 60 -pix_fmt yuv420p -c:a aac -shortest -f mp4 "$camera.part" && mv "$camera.part" "$camera"
fi
if [[ ! -s $screen ]]; then
    # Slides: a still picture with text, a new one every 5 s, a moving pointer.
    echo "making ${minutes} min of 1920x1080 30 fps screen H.264..." >&2
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc=size=1920x1080:rate=1/5" \
        -f lavfi -i "color=c=white:size=24x24:rate=30" -t $((minutes * 60)) \
        -filter_complex "[0:v]fps=30[slides];[slides][1:v]overlay=x='mod(t*120,1800)':y=900[v]" -map "[v]" \
        -c:v libx264 -preset ultrafast -g 60 -pix_fmt yuv420p -f mp4 "$screen.part" && mv "$screen.part" "$screen"
fi

seconds() { # COMMAND...: prints the wall-clock seconds it took
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.2f}')"
}

ours() {
    rm -rf "$work/out" "$work/w" && mkdir -p "$work/w"
    "$worker" --task ladder --media-dir "$work/out" --work-dir "$work/w" --source "$camera@0" --kind camera \
        --source "$screen@0" --kind screen --rung 1080:5000 --rung 720:2800 --rung 480:1400 --rung 360:800 --audio-kbps 128 \
        --preset "$preset" --segment-seconds 4 --keyframe-seconds 2 --screen-tune stillimage --screen-max-fps 15 --compose-camera-percent 0
}

# The same rungs (the worker keeps every rung the source's exact shape: 480p is 864x486), the same
# encoder settings per rung, the same segments, one process.
peer() {
    rm -rf "$work/peer" && mkdir -p "$work/peer"
    local sizes=(1920:1080 1280:720 864:486 640:360) rates=(5000 2800 1400 800) args=() graph i
    graph="[0:v]split=4[c0][c1][c2][c3];[1:v]fps=15,split=4[s0][s1][s2][s3]"
    for i in 0 1 2 3; do graph+=";[c$i]scale=${sizes[$i]}[vc$i];[s$i]scale=${sizes[$i]}[vs$i]"; done
    for i in 0 1 2 3; do args+=(-map "[vc$i]"); done
    for i in 0 1 2 3; do args+=(-map "[vs$i]"); done
    args+=(-map 0:a)
    for i in 0 1 2 3; do
        args+=(-b:v:$i "${rates[$i]}k" -maxrate:v:$i "$((rates[i] * 3 / 2))k" -bufsize:v:$i "$((rates[i] * 2))k")
        args+=(-b:v:$((i + 4)) "${rates[$i]}k" -maxrate:v:$((i + 4)) "$((rates[i] * 3 / 2))k" -bufsize:v:$((i + 4)) "$((rates[i] * 2))k" -tune:v:$((i + 4)) stillimage)
    done
    ffmpeg -hide_banner -loglevel error -nostdin -y -i "$camera" -i "$screen" -filter_complex "$graph" "${args[@]}" \
        -c:v libx264 -preset "$preset" -pix_fmt yuv420p -x264-params scenecut=0 -force_key_frames "expr:gte(t,n_forced*2)" \
        -c:a aac -b:a 128k -f dash -seg_duration 4 -use_template 1 -use_timeline 1 -hls_playlist 1 -dash_segment_type mp4 \
        -adaptation_sets "id=0,streams=0,1,2,3 id=1,streams=8 id=2,streams=4,5,6,7" "$work/peer/abr.mpd"
}

median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.2f}')" "$@"; }

echo "environment: commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo ?), build ${build_type:-?}, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -r), ffmpeg $(ffmpeg -version | head -1 | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg), steal $(awk '/^cpu /{print $9}' /proc/stat) ticks"
a=() b=()
for ((i = 0; i < runs; i++)); do a+=("$(seconds ours)"); b+=("$(seconds peer)"); done
ra=$(median "${a[@]}") rb=$(median "${b[@]}")
echo "ladder of ${minutes} min 1080p camera + screen -> 4 rungs each + audio (${preset}): worker ${ra} s (runs: ${a[*]}), ffmpeg ${rb} s (runs: ${b[*]}), ratio $(python3 -c "print(f'{$ra / $rb:.2f}')")"
echo "after: load $(cut -d' ' -f1-3 /proc/loadavg), steal $(awk '/^cpu /{print $9}' /proc/stat) ticks"
