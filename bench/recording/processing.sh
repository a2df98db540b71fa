#!/usr/bin/env bash
# The recording plugin's processing (the media worker, vtp-media-worker), each beside the ffmpeg
# command doing the same work in the same run, on the same files:
#
#   bench/recording/processing.sh [BUILD_DIR]      (default: build; builds nothing)
#
# 1. Remux: REMUX_MINUTES (60) of 720p30 H.264/AAC to CMAF HLS and DASH, poster, thumbnails and
#    recording.mp4, against `ffmpeg -c copy` writing fMP4 HLS from the same file. Target: no slower.
# 2. Transcode: TRANSCODE_MINUTES (10) of 720p30 VP8/Opus WebM as MediaRecorder writes it (no cues,
#    no duration, keyframes seconds apart) to H.264/AAC, against ffmpeg with the same libx264
#    preset and quality and keyframes every 2 s. Target: at most 1.05x its time.
# Each run RUNS (3) times, alternating; the medians and their ratio are printed (a part whose
# minutes are 0 is skipped). The inputs are made first with ffmpeg (not timed), in INPUT_DIR if
# set (and kept there: a later run with the same minutes reuses them). Environment:
# REMUX_MINUTES, TRANSCODE_MINUTES, RUNS, PRESET (veryfast), CRF (23), INPUT_DIR.
set -euo pipefail

build=${1:-build}
remux_minutes=${REMUX_MINUTES:-60}
transcode_minutes=${TRANSCODE_MINUTES:-10}
runs=${RUNS:-3}
preset=${PRESET:-veryfast}
crf=${CRF:-23}

source "$(dirname "$0")/../common.sh"
need_tools ffmpeg python3
worker=$build/plugins-out/vtp-media-worker
[[ -x $worker ]] || { echo "no $worker: build vtp_media_worker" >&2; exit 1; }
warn_unless_optimised "$build"

inputs=${INPUT_DIR:-$work}
mkdir -p "$inputs"
remux_in=$inputs/remux-${remux_minutes}min-720p.mp4 transcode_in=$inputs/capture-${transcode_minutes}min-720p.webm
if ((remux_minutes > 0)) && [[ ! -s $remux_in ]]; then
    echo "making ${remux_minutes} min of 1280x720 30 fps H.264/AAC..." >&2
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc2=size=1280x720:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t $((remux_minutes * 60)) \
        -c:v libx264 -preset ultrafast -g 60 -pix_fmt yuv420p -c:a aac -shortest -f mp4 "$remux_in.part" && mv "$remux_in.part" "$remux_in"
fi
if ((transcode_minutes > 0)) && [[ ! -s $transcode_in ]]; then
    echo "making ${transcode_minutes} min of 1280x720 30 fps VP8/Opus WebM..." >&2
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc2=size=1280x720:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t $((transcode_minutes * 60)) \
        -c:v libvpx -deadline realtime -cpu-used 8 -b:v 1500k -g 300 -c:a libopus -shortest -f webm -live 1 "$transcode_in.part" &&
        mv "$transcode_in.part" "$transcode_in"
fi

seconds() { # COMMAND...: prints the wall-clock seconds it took
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.2f}')"
}

ours() { # SOURCE
    rm -rf "$work/out" "$work/w" && mkdir -p "$work/w"
    "$worker" --media-dir "$work/out" --work-dir "$work/w" --source "$1" --preset "$preset" --crf "$crf"
}
peer_remux() {
    rm -rf "$work/peer" && mkdir -p "$work/peer"
    ffmpeg -hide_banner -loglevel error -nostdin -y -i "$remux_in" -c copy -f hls -hls_segment_type fmp4 -hls_time 4 \
        -hls_playlist_type vod "$work/peer/index.m3u8"
}
peer_transcode() {
    rm -rf "$work/peer" && mkdir -p "$work/peer"
    ffmpeg -hide_banner -loglevel error -nostdin -y -i "$transcode_in" -c:v libx264 -preset "$preset" -crf "$crf" \
        -force_key_frames "expr:gte(t,n_forced*2)" -c:a aac -f hls -hls_segment_type fmp4 -hls_time 4 -hls_playlist_type vod \
        "$work/peer/index.m3u8"
}

median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.2f}')" "$@"; }

echo "environment: $(nproc) cores, $(uname -r), ffmpeg $(ffmpeg -version | head -1 | cut -d' ' -f3), build ${build_type:-?}, load $(cut -d' ' -f1-3 /proc/loadavg)"
if ((remux_minutes > 0)); then
    a=() b=()
    for ((i = 0; i < runs; i++)); do a+=("$(seconds ours "$remux_in")"); b+=("$(seconds peer_remux)"); done
    ra=$(median "${a[@]}") rb=$(median "${b[@]}")
    echo "remux ${remux_minutes} min 720p H.264/AAC -> CMAF HLS+DASH: worker ${ra} s (runs: ${a[*]}), ffmpeg -c copy fMP4 HLS ${rb} s (runs: ${b[*]}), ratio $(python3 -c "print(f'{$ra / $rb:.2f}')")"
fi
if ((transcode_minutes > 0)); then
    c=() d=()
    for ((i = 0; i < runs; i++)); do c+=("$(seconds ours "$transcode_in")"); d+=("$(seconds peer_transcode)"); done
    tc=$(median "${c[@]}") td=$(median "${d[@]}")
    echo "transcode ${transcode_minutes} min 720p VP8/Opus -> H.264/AAC (${preset}, crf ${crf}): worker ${tc} s (runs: ${c[*]}), ffmpeg ${td} s (runs: ${d[*]}), ratio $(python3 -c "print(f'{$tc / $td:.2f}')")"
fi
