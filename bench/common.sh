# Shared by the bench/*/run.sh scripts: a work directory cleaned up on exit with everything
# started in it, free ports, waiting for servers, and one wrk run reduced to req/s and p99.
# Source it after `set -euo pipefail`.

work=$(mktemp -d /tmp/vtp-bench-XXXXXX)
chmod 755 "$work" # nginx workers run as an unprivileged user and read files below it
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_tools() { # TOOL...
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "missing $tool (bash packaging/dev/deps.sh installs it)" >&2; exit 1; }
    done
}

warn_unless_optimised() { # BUILD_DIR; sets build_type
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$1/CMakeCache.txt" 2>/dev/null || true)
    if [[ $build_type != Release && $build_type != RelWithDebInfo ]]; then
        echo "warning: $1 is a '${build_type:-unknown}' build; figures for an optimised build need" >&2
        echo "         cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release" >&2
    fi
}

# Sets vtpd and plugins from BUILD_DIR; exits unless vtpd and each PLUGIN.so are built there.
find_vtpd() { # BUILD_DIR PLUGIN...
    local build=$1 plugin
    shift
    vtpd=$build/kernel/vtpd
    plugins=$(realpath "$build/plugins-out")
    [[ -x $vtpd ]] || { echo "no $vtpd: build first (cmake --build $build)" >&2; exit 1; }
    for plugin in "$@"; do
        [[ -f $plugins/$plugin.so ]] || { echo "no $plugins/$plugin.so: build vtp_plugin_$plugin" >&2; exit 1; }
    done
    warn_unless_optimised "$build"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() { # FILE-or-URL, what
    for _ in $(seq 300); do
        if [[ $1 == http* ]]; then curl -fs -o /dev/null "$1" && return 0; else [[ -s $1 ]] && return 0; fi
        sleep 0.1
    done
    echo "$2 did not start" >&2
    return 1
}

# Writes $work/vtpd.toml: free loopback ports, SQLite in $work/data, the plugins from $plugins.
# Append plugin tables to the file afterwards.
write_vtpd_config() { # LOG_LEVEL PLUGIN...
    local level=$1
    shift
    mkdir -p "$work/data"
    local enabled
    enabled=$(printf '"%s", ' "$@")
    cat >"$work/vtpd.toml" <<TOML
[http]
listen = "127.0.0.1:0"
[websocket]
listen = "127.0.0.1:0"
[storage]
data_dir = "$work/data"
[log]
level = "$level"
[plugins]
dir = "$plugins"
enabled = [${enabled%, }]
TOML
}

# Starts vtpd with $work/vtpd.toml in the background; sets vtpd_url.
start_vtpd() { # VTPD [ENV=VALUE...]
    local vtpd=$1
    shift
    env "$@" "$vtpd" --config "$work/vtpd.toml" --ready-file "$work/ready.json" 2>"$work/vtpd.log" &
    pids+=($!)
    wait_for "$work/ready.json" vtpd || { cat "$work/vtpd.log" >&2; exit 1; }
    vtpd_url=http://127.0.0.1:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$work/ready.json")
}

# Starts nginx on a free loopback port: NGINX_WORKERS (2) workers, keep-alive, no access log,
# nothing outside $work. HTTP_DIRECTIVES go into http{}, LOCATIONS into its server{}. Sets nginx_url;
# wait for it with wait_for.
start_nginx() { # HTTP_DIRECTIVES LOCATIONS
    mkdir -p "$work/nginx-tmp"
    local port
    port=$(free_port)
    cat >"$work/nginx.conf" <<EOF
worker_processes ${NGINX_WORKERS:-2};
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections ${NGINX_WORKER_CONNECTIONS:-1024}; }
http {
    access_log off;
    keepalive_timeout 10s;
    keepalive_requests 1000;
    client_body_temp_path $work/nginx-tmp/body;
    proxy_temp_path $work/nginx-tmp/proxy;
    fastcgi_temp_path $work/nginx-tmp/fastcgi;
    uwsgi_temp_path $work/nginx-tmp/uwsgi;
    scgi_temp_path $work/nginx-tmp/scgi;
$1
    server {
        listen 127.0.0.1:$port;
$2
    }
}
EOF
    nginx -p "$work" -e "$work/nginx-error.log" -c "$work/nginx.conf" &
    pids+=($!)
    nginx_url=http://127.0.0.1:$port
}

# One wrk run: prints a line and sets rps_KEY and p99_KEY (ms). Extra wrk arguments after URL.
bench() { # NAME KEY URL [WRK ARGS...]
    local name=$1 key=$2 url=$3 out rps p99 errors
    shift 3
    out=$(wrk -t"${threads:-2}" -c"${connections:-64}" -d"${duration:-10s}" --latency "$@" "$url")
    echo "$out" >"$work/wrk-$key.txt"
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {v=$2; u=v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                           f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1;
                           printf "%.2f", v * f}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
    printf '%-34s %12s req/s   p99 %8s ms   %s\n' "$name" "$rps" "$p99" "$errors"
    eval "rps_$key=$rps p99_$key=$p99"
}

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
