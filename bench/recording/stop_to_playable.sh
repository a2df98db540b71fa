#!/usr/bin/env bash
# Stop to playable: how long after a live capture's last chunk its recording can be played.
#
#   bench/recording/stop_to_playable.sh [BUILD_DIR]      (default: build; builds nothing)
#
# A MINUTES (60) recording of 720p30 H.264/AAC (2.5 Mb/s) in fragmented MP4 (what a capture of
# H.264 looks like: a fragment a second) is uploaded to vtpd as a live capture (tus, Upload-Defer-Length) in
# 1-second chunks, then stopped; the figure is the time from the last chunk's acknowledgement
# (its 204) to the moment /playback answers and, through its signed URLs, the HLS master, every
# media playlist (with #EXT-X-ENDLIST) and the DASH MPD (static, its duration the whole media's)
# are served. Target: at most 5 s. The same is then done for WEBM_MINUTES (60; 0 skips it) of
# 640x360 VP8/Opus WebM as MediaRecorder writes it (no cues or duration, transcoded to H.264/AAC).
#
# The pace: faster than real time, but no faster than processing follows. A chunk is sent at most
# SPEED (30) times real time, and never more than LAG (8) seconds of media ahead of what the live
# worker has published (its EVENT media playlist in the storage directory, read by this script):
# so the upload runs as fast as the worker keeps up, which is what a real class (real time) never
# exceeds. Printed: the upload's own pace, so that one can see the worker kept up.
# With SCREEN=1 the H.264 capture has a second live source beside it, a screen (1280x720 at 5 fps,
# H.264 fMP4) uploaded chunk for chunk with the camera, as a lecture is captured; the recording is
# ready when both are.
# The inputs are made first with ffmpeg (not timed), in INPUT_DIR if set (and kept there: a
# later run with the same MINUTES reuses them). Environment: MINUTES, WEBM_MINUTES, SPEED, LAG,
# SCREEN, INPUT_DIR.
set -euo pipefail

build=${1:-build}
minutes=${MINUTES:-60}
webm_minutes=${WEBM_MINUTES:-60}
speed=${SPEED:-30}
lag=${LAG:-8}

source "$(dirname "$0")/../common.sh"
need_tools ffmpeg python3
find_vtpd "$build" auth recording
vtpctl=$build/kernel/vtpctl
[[ -x $build/plugins-out/vtp-media-worker ]] || { echo "no vtp-media-worker: build vtp_media_worker" >&2; exit 1; }

inputs=${INPUT_DIR:-$work}
mkdir -p "$inputs"
mp4=$inputs/capture-${minutes}min-720p.mp4 webm=$inputs/capture-${webm_minutes}min-360p.webm
screen=$inputs/screen-${minutes}min-720p5.mp4
if [[ ${SCREEN:-0} == 1 && ! -s $screen ]]; then
    echo "making ${minutes} min of 1280x720 5 fps H.264 fMP4 (the screen)..." >&2
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc2=size=1280x720:rate=5" -t $((minutes * 60)) \
        -c:v libx264 -preset ultrafast -tune stillimage -g 10 -pix_fmt yuv420p \
        -movflags frag_keyframe+empty_moov+default_base_moof -f mp4 "$screen.part" && mv "$screen.part" "$screen"
fi
if [[ ! -s $mp4 ]]; then
    echo "making ${minutes} min of 1280x720 H.264/AAC fMP4..." >&2
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc2=size=1280x720:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t $((minutes * 60)) \
        -c:v libx264 -preset ultrafast -b:v 2500k -maxrate 2500k -bufsize 5000k -g 30 -pix_fmt yuv420p -c:a aac -shortest \
        -movflags frag_keyframe+empty_moov+default_base_moof -f mp4 "$mp4.part" && mv "$mp4.part" "$mp4"
fi
if ((webm_minutes > 0)) && [[ ! -s $webm ]]; then
    echo "making ${webm_minutes} min of 640x360 VP8/Opus WebM..." >&2
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc2=size=640x360:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t $((webm_minutes * 60)) \
        -c:v libvpx -deadline realtime -cpu-used 8 -b:v 800k -g 300 -c:a libopus -shortest -f webm -live 1 "$webm.part" &&
        mv "$webm.part" "$webm"
fi

write_vtpd_config warn auth recording
cat >>"$work/vtpd.toml" <<TOML
[plugins.auth.tokens]
access_ttl_seconds = 86400
[plugins.recording]
TOML
password="bench-admin-$RANDOM$RANDOM"
printf '%s\n' "$password" | "$vtpctl" --config "$work/vtpd.toml" user create --email admin@bench.example --role admin \
    --name Admin >/dev/null 2>"$work/vtpctl.log"
start_vtpd "$vtpd"

measure() { # FILE SECONDS LABEL [SCREEN_FILE]
    python3 - "$vtpd_url" "$password" "$work/data/recordings" "$1" "$2" "$speed" "$lag" "$3" "${4:-}" <<'PY'
import http.client, json, os, re, sys, time, urllib.parse

url, password, storage, path, seconds, speed, lag, label, screen_path = sys.argv[1:10]
seconds, speed, lag = float(seconds), float(speed), float(lag)
host = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)

def call(method, target, body=None, headers=None, token=None):
    h = dict(headers or {})
    if token: h["Authorization"] = "Bearer " + token
    if isinstance(body, (dict, list)):
        body = json.dumps(body); h["Content-Type"] = "application/json"
    conn.request(method, target, body=body, headers=h)
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()

status, _, body = call("POST", "/api/v1/auth/login", {"email": "admin@bench.example", "password": password})
token = json.loads(body)["access_token"]
status, _, body = call("POST", "/api/v1/recordings", {"room_id": "bench-" + str(time.time()), "title": label}, token=token)
rec = json.loads(body)["id"]
tus = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}
status, headers, _ = call("POST", f"/api/v1/recordings/{rec}/uploads", None,
                          dict(tus, **{"Upload-Defer-Length": "1", "Upload-Metadata": "source Y2FtZXJh"}), token)
assert status == 201, status
upload = headers["Location"]
screen = None
if screen_path:  # the screen, shared with the camera from the start
    status, headers, _ = call("POST", f"/api/v1/recordings/{rec}/uploads", None,
                              dict(tus, **{"Upload-Defer-Length": "1", "Upload-Metadata": "source c2NyZWVu"}), token)
    assert status == 201, status
    screen = {"url": headers["Location"], "data": open(screen_path, "rb").read(), "offset": 0}
media_dir = os.path.join(storage, rec, "media")

def published_seconds():  # what the live worker has put in media/ so far (its EVENT playlist)
    try:
        text = open(os.path.join(media_dir, "media_0.m3u8")).read()
    except OSError:
        return 0.0
    return sum(float(x) for x in re.findall(r"#EXTINF:([0-9.]+)", text))

data = open(path, "rb").read()
chunk = max(1, len(data) // int(seconds))  # a second of media, on average
began = time.monotonic()
offset, sent_seconds, waited = 0, 0, 0.0
while offset < len(data):
    end = min(len(data), offset + chunk)
    if len(data) - end < chunk // 2: end = len(data)  # no crumb of a last chunk
    # No faster than SPEED x real time, no further than LAG s ahead of what is published.
    due = began + sent_seconds / speed
    now = time.monotonic()
    if due > now: time.sleep(due - now)
    t = time.monotonic()
    while sent_seconds - published_seconds() > lag:
        time.sleep(0.05)
    waited += time.monotonic() - t
    h = dict(tus, **{"Upload-Offset": str(offset)})
    if end == len(data): h["Upload-Length"] = str(len(data))
    if screen:  # the screen's share of this second, its last chunk with the camera's last
        sd = screen["data"]
        s_end = len(sd) if end == len(data) else min(len(sd), screen["offset"] + max(1, len(sd) // int(seconds)))
        if s_end > screen["offset"]:
            sh = dict(tus, **{"Upload-Offset": str(screen["offset"])})
            if s_end == len(sd): sh["Upload-Length"] = str(len(sd))
            status, _, body = call("PATCH", screen["url"], sd[screen["offset"]:s_end], sh, token)
            if status != 204: sys.exit(f"screen PATCH answered {status}: {body[:200]}")
            screen["offset"] = s_end
    status, _, body = call("PATCH", upload, data[offset:end], h, token)
    if status != 204: sys.exit(f"PATCH answered {status}: {body[:200]}")
    acked = time.monotonic()
    offset, sent_seconds = end, sent_seconds + 1
upload_s = acked - began

call("POST", f"/api/v1/recordings/{rec}/stop", token=token)
def playable():
    status, _, body = call("GET", f"/api/v1/recordings/{rec}/playback", token=token)
    if status != 200: return False
    p = json.loads(body)
    base = p["hls"].rsplit("/", 1)[0] + "/"
    status, _, master = call("GET", p["hls"])
    if status != 200: return False
    for uri in re.findall(r'URI="([^"]+)"|\n([^#\n][^\n]*)', master.decode()):
        name = uri[0] or uri[1]
        status, _, pl = call("GET", base + name)
        if status != 200 or b"#EXT-X-ENDLIST" not in pl: return False
    status, _, mpd = call("GET", p["dash"])
    if status != 200 or b'type="static"' not in mpd: return False
    m = re.search(rb'mediaPresentationDuration="PT(?:([0-9.]+)H)?(?:([0-9.]+)M)?(?:([0-9.]+)S)?"', mpd)
    total = sum(float(v or 0) * k for v, k in zip(m.groups(), (3600, 60, 1))) if m else 0
    return abs(total - seconds) < 2
while not playable():
    if time.monotonic() - acked > 600: sys.exit("not playable 10 minutes after the last chunk")
    time.sleep(0.02)
figure = time.monotonic() - acked
print(f"{label}: {figure:.2f} s from the last chunk's acknowledgement to HLS+DASH served (target 5 s, "
      f"{figure / 5:.2f} of it); upload {upload_s:.0f} s for {seconds / 60:.0f} min of media "
      f"({seconds / upload_s:.1f}x real time, {waited:.0f} s of it waiting for the worker)")
PY
}

echo "environment: $(nproc) cores, $(uname -r), ffmpeg $(ffmpeg -version | head -1 | cut -d' ' -f3), build ${build_type:-?}, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ ${SCREEN:-0} == 1 ]]; then
    measure "$mp4" $((minutes * 60)) "remux, ${minutes} min 720p H.264/AAC fMP4 and a 720p 5 fps screen" "$screen"
else
    measure "$mp4" $((minutes * 60)) "remux, ${minutes} min 720p H.264/AAC fMP4"
fi
if ((webm_minutes > 0)); then
    measure "$webm" $((webm_minutes * 60)) "transcode, ${webm_minutes} min 360p VP8/Opus WebM"
fi
