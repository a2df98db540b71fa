#!/usr/bin/env bash
# Installs what building and testing VTP needs on Debian 12, as root. Safe to run again.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang make pkg-config git ca-certificates python3
  libpoco-dev libpq-dev libboost-dev libboost-filesystem-dev libwebsockets-dev libcli11-dev
  libev-dev libwebsockets-evlib-ev           # the WebSocket server's epoll loop (lws's libev plugin)
  libtomlplusplus-dev libsystemd-dev libargon2-dev libsqlite3-dev
  libhowardhinnant-date-dev tzdata          # courses: time zones (libdate-tz over the system tz database)
  rapidjson-dev                               # the SDK's strict JSON check (vtp/json_check.hpp), header-only
  libsimdjson-dev                             # bench/json: a peer the JSON check is measured against
  libgtest-dev libgmock-dev libclang-rt-14-dev
  llvm                                        # llvm-symbolizer: names in the clang-built fuzzers' sanitizer reports
  clang-format                                # tests/style: the tree follows .clang-format
  postgresql-15 redis-server
  dpkg-dev file adduser init-system-helpers   # the .deb: cpack, dpkg-shlibdeps, maintainer scripts
  nginx wrk                                   # bench/http
  libnginx-mod-rtmp                           # bench/streaming/live_latency.sh: nginx-rtmp with HLS output, the live latency peer
  python3-aiosmtpd openssl argon2             # auth: the SMTP server its tests start, key files, bench/auth
  curl                                        # tests and benchmarks that talk HTTP from a chosen address
  chromium coturn                             # signalling: the browser tests' WebRTC peers (playwright-core) and TURN server
  libavformat-dev libavcodec-dev libavutil-dev libavfilter-dev libswscale-dev libswresample-dev  # recording: the media worker
  ffmpeg                                      # recording: the tests' media and a benchmark peer (never called by the product)
  nodejs                                      # streaming: the player page's hls.js (npm ci at build time); the browser tests
)
# npm beside nodejs: Debian's, unless the Node.js installed brings its own (NodeSource's nodejs
# ships npm and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian starts its default clusters on install; tests start their own on free ports.
