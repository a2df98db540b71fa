#!/usr/bin/env bash
# vtpd's signalling plugin beside the reference Node.js server (stock socket.io 4.8, bench/signalling/peer),
# both loaded by the same C++ generator (vtp-sio-bench) on 127.0.0.1:
#
#   bench/signalling/run.sh [BUILD_DIR]     (default: build; builds nothing: configure with -DVTP_BUILD_BENCH=ON)
#
# Scenarios (SCENARIOS, default "check a b c"), each run against vtpd and then against Node, each
# server freshly started for it:
#   check  the stock socket.io-client (Node) in a room with the generator's clients: it must receive
#          their chats and they its, every frame decoded and checked by the codec (--validate);
#   a      HOLD_CLIENTS (10000) clients connected, in rooms of 25, held HOLD_SECONDS (60) with
#          Engine.IO heartbeats only: connect time, join p50/p99, drops, server RSS per connection;
#   b      CHAT_CLIENTS (5000) clients, one chat per client every CHAT_PERIOD (5) s for CHAT_SECONDS
#          (60): fan-out p50/p99 (sender's clock to every other member's receipt), delivered/s, losses;
#   c      SEARCH_CLIENTS (2500) clients, total chat rates SEARCH_RATES (chat:send/s) for STEP_SECONDS
#          (15) each, until p99 fan-out exceeds LIMIT_MS (100) or a message is lost: the highest
#          delivered/s within the limit.
# SMOKE=1 shrinks everything (500 clients, 10 s). Other environment: USERS (200 accounts; clients
# share their tokens round-robin), GEN_THREADS (1: the generator shares the 2 cores with the
# server), WS_THREADS (vtpd's websocket.threads; 0, the default, is one per core), IN_FLIGHT (200 handshakes under way per generator thread), CHAT_DRAIN (2 s), GENERATOR
# (the vtp-sio-bench binary; default BUILD_DIR/bench/signalling/vtp-sio-bench), SERVERS ("vtpd node":
# one of them alone, e.g. for a profile).
# Prints each run's figures, then the table of vtpd and Node side by side with the ratios and the
# targets of issue 6. Everything started is stopped and the work directory removed on exit.
set -euo pipefail

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
if [[ ${SMOKE:-0} == 1 ]]; then
    : "${HOLD_CLIENTS:=500}" "${HOLD_SECONDS:=10}" "${CHAT_CLIENTS:=500}" "${CHAT_SECONDS:=10}"
    : "${SEARCH_CLIENTS:=500}" "${SEARCH_RATES:=100,200,400}" "${STEP_SECONDS:=5}"
fi
scenarios=${SCENARIOS:-check a b c}
hold_clients=${HOLD_CLIENTS:-10000}
hold_seconds=${HOLD_SECONDS:-60}
chat_clients=${CHAT_CLIENTS:-5000}
chat_period=${CHAT_PERIOD:-5}
chat_seconds=${CHAT_SECONDS:-60}
search_clients=${SEARCH_CLIENTS:-2500}
search_rates=${SEARCH_RATES:-500,1000,2000,3000,4000,5000,6000,8000,10000,12000}
step_seconds=${STEP_SECONDS:-15}
limit_ms=${LIMIT_MS:-100}
users=${USERS:-200}
gen_threads=${GEN_THREADS:-1}
in_flight=${IN_FLIGHT:-200}
drain=${CHAT_DRAIN:-2}
ws_threads=${WS_THREADS:-0}

vtpd=$build/kernel/vtpd
vtpctl=$build/kernel/vtpctl
gen=${GENERATOR:-$build/bench/signalling/vtp-sio-bench}
plugins=$(realpath "$build/plugins-out")
source "$here/../common.sh"
need_tools node npm curl python3
[[ -x $vtpd && -x $vtpctl ]] || { echo "no $vtpd or $vtpctl: build first" >&2; exit 1; }
[[ -f $plugins/auth.so && -f $plugins/signalling.so ]] || { echo "no auth.so/signalling.so in $plugins: build the plugins" >&2; exit 1; }
[[ -x $gen ]] || { echo "no $gen: configure with -DVTP_BUILD_BENCH=ON and build vtp-sio-bench" >&2; exit 1; }
warn_unless_optimised "$build"

max_clients=0
for s in $scenarios; do
    case $s in
    check) n=48 ;; a) n=$hold_clients ;; b) n=$chat_clients ;; c) n=$search_clients ;;
    *) echo "unknown scenario $s (check, a, b, c)" >&2; exit 2 ;;
    esac
    ((n > max_clients)) && max_clients=$n
done
rooms=$(((max_clients + 24) / 25))
# Each process (generator, server) holds one descriptor per client, plus its own.
ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= max_clients + 1000)) || { echo "open-file limit $(ulimit -n) is too low for $max_clients clients" >&2; exit 1; }

# --- the reference server, installed from the lock file into the work dir
mkdir -p "$work/peer"
cp "$here/peer/package.json" "$here/peer/package-lock.json" "$here/peer/server.js" "$here/peer/check-client.js" "$work/peer/"
(cd "$work/peer" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
seq -f 'bench-room-%g' 0 $((rooms - 1)) >"$work/node-rooms.txt"

# --- vtpd: auth + signalling on SQLite in the work dir, limits opened for the benchmark
mkdir -p "$work/data"
cat >"$work/vtpd.toml" <<TOML
[http]
listen = "127.0.0.1:0"
[websocket]
listen = "127.0.0.1:0"
max_connections = $((max_clients + 1000))
threads = $ws_threads
[storage]
data_dir = "$work/data"
[log]
level = "warn"
[plugins]
dir = "$plugins"
enabled = ["auth", "signalling"]
[plugins.auth]
registration = "open"
[plugins.auth.argon2]
memory_kib = 8192
iterations = 1
[plugins.auth.tokens]
access_ttl_seconds = 86400
[plugins.auth.throttle]
address_failures = 100000
[plugins.signalling]
max_sessions = $((max_clients + 1000))
[plugins.signalling.chat]
per_second = 1000
burst = 1000
TOML
password="bench-instructor-$RANDOM$RANDOM"
printf '%s\n' "$password" | "$vtpctl" --config "$work/vtpd.toml" user create --email instructor@bench.example --role instructor \
    --name Instructor >/dev/null

server_pid=
server_port=
start_server() { # vtpd|node
    if [[ $1 == vtpd ]]; then
        rm -f "$work/ready.json"
        start_vtpd "$vtpd"
        server_pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$work/ready.json")
        server_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["websocket"])' "$work/ready.json")
    else
        rm -f "$work/node.json"
        node "$work/peer/server.js" "$work/node.json" 2>"$work/node.log" &
        pids+=($!)
        wait_for "$work/node.json" node || { cat "$work/node.log" >&2; exit 1; }
        server_pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$work/node.json")
        server_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$work/node.json")
    fi
    sleep 1 # let the server settle before its baseline RSS is read
}
stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    if grep -q '"level":"error"' "$work/vtpd.log" 2>/dev/null; then
        echo "vtpd logged errors:" >&2
        grep '"level":"error"' "$work/vtpd.log" | head -5 >&2
    fi
}
generate() { # SERVER KEY GENERATOR-ARGS...
    local server=$1 key=$2
    shift 2
    local auth=(--token "bench-token") rooms_file=$work/node-rooms.txt
    if [[ $server == vtpd ]]; then auth=(--tokens "$work/tokens.txt") rooms_file=$work/vtpd-rooms.txt; fi
    "$gen" --port "$server_port" --server-pid "$server_pid" --label "$server" --rooms "$rooms_file" "${auth[@]}" \
        --threads "$gen_threads" --in-flight "$in_flight" --json "$work/$key-$server.json" "$@" || true
}

start_server vtpd
python3 "$here/setup.py" "$vtpd_url" instructor@bench.example "$password" "$users" "$rooms" "$work/tokens.txt" "$work/vtpd-rooms.txt"
stop_server

echo "vtpd ${build_type:-?} build, node $(node --version), socket.io $(node -p 'require(process.argv[1]).version' "$work/peer/node_modules/socket.io/package.json"), $(nproc) cores, generator threads $gen_threads"
for s in $scenarios; do
    for server in ${SERVERS:-vtpd node}; do
        echo
        start_server "$server"
        case $s in
        check)
            echo "== check: the stock socket.io-client and the generator in one room ($server)"
            rm -f "$work/check-ready"
            if [[ $server == vtpd ]]; then token=$(sed -n 1p "$work/tokens.txt") room=$(sed -n 1p "$work/vtpd-rooms.txt"); else token=bench-token room=bench-room-0; fi
            node "$work/peer/check-client.js" "http://127.0.0.1:$server_port" "$token" "$room" 4 "$work/check-ready" 24 >"$work/check-$server.out" &
            check_pid=$!
            wait_for "$work/check-ready" "the stock client" || { kill $check_pid; cat "$work/check-$server.out"; exit 1; }
            # 24 generator clients share the room with the stock client (48 in two rooms of 24).
            generate "$server" check --clients 48 --room-size 24 --period 0.5 --step-seconds 6 --validate
            wait $check_pid || true
            echo "  stock client: $(cat "$work/check-$server.out")"
            cp "$work/check-$server.out" "$work/check-$server.client.json"
            ;;
        a)
            echo "== a: $hold_clients clients held $hold_seconds s ($server)"
            generate "$server" a --clients "$hold_clients" --hold "$hold_seconds"
            ;;
        b)
            echo "== b: $chat_clients clients, one chat each every $chat_period s for $chat_seconds s ($server)"
            generate "$server" b --clients "$chat_clients" --hold 2 --period "$chat_period" --step-seconds "$chat_seconds" --drain "$drain"
            ;;
        c)
            echo "== c: $search_clients clients, chat rates $search_rates per second, $step_seconds s each, until p99 > $limit_ms ms ($server)"
            generate "$server" c --clients "$search_clients" --hold 2 --rates "$search_rates" --step-seconds "$step_seconds" \
                --drain "$drain" --stop-above-ms "$limit_ms"
            ;;
        esac
        stop_server
    done
done

echo
python3 "$here/report.py" "$work" "$limit_ms" $scenarios
