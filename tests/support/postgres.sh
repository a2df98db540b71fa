#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 cluster for the tests.
#   postgres.sh start DIR   creates DIR (under /tmp), a cluster on a free loopback port, the
#                           database vtp_test owned by role vtp, and writes the URL to DIR/url
#   postgres.sh stop DIR    stops that cluster and removes DIR
# initdb refuses to run as root, so as root the server runs as the postgres user.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2
case "$dir" in /*) ;; *) echo "DIR must be absolute: $dir" >&2; exit 2 ;; esac

pgbin=${VTP_PG_BIN:-/usr/lib/postgresql/15/bin}
data=$dir/data

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop_cluster() {
  if [ -f "$data/postmaster.pid" ]; then
    as_server_user "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

start_cluster() {
  # A cluster left behind by an interrupted run would hold its port and directory.
  stop_cluster
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi

  as_server_user "$pgbin/initdb" -D "$data" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }

  # The port is free when probed but could be taken before the server binds it: retry.
  local port="" attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_server_user "$pgbin/pg_ctl" -D "$data" -w -t 60 -l "$dir/server.log" \
         -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
         start >/dev/null; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    echo "PostgreSQL did not start; server log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
  fi

  local password
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  as_server_user "$pgbin/psql" -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE vtp LOGIN PASSWORD '$password'" \
    -c "CREATE DATABASE vtp_test OWNER vtp" >/dev/null

  printf 'postgresql://vtp:%s@127.0.0.1:%s/vtp_test\n' "$password" "$port" >"$dir/url.tmp"
  chmod 644 "$dir/url.tmp"
  mv "$dir/url.tmp" "$dir/url"
  echo "PostgreSQL running on 127.0.0.1:$port (data in $data)"
}

case "$action" in
  start) start_cluster ;;
  stop) stop_cluster; rm -rf "$dir" ;;
  *) usage ;;
esac
