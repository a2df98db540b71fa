#!/bin/bash
# check-test-logs.sh clear|check DIR
#   clear: empties DIR (the build tree's test-logs/) at the start of a ctest run.
#   check: fails if any log in DIR contains a secret listed in DIR/secrets.txt (tokens, passwords,
#          refresh tokens, invite codes, feed secrets the tests saw; tests/support/TestLogs.hpp).
# Secrets shorter than 8 characters are ignored: a short test password such as "x" would match
# by chance in any log.
set -euo pipefail
mode=${1:?clear|check}
dir=${2:?directory}
min=8

case "$mode" in
clear)
    rm -rf "$dir"
    mkdir -p "$dir"
    ;;
check)
    [ -d "$dir" ] || { echo "no test logs in $dir: nothing to check"; exit 0; }
    secrets="$dir/secrets.txt"
    logs=$(find "$dir" -name '*.log' -type f | sort)
    nlogs=$(printf '%s\n' "$logs" | grep -c . || true)
    if [ ! -s "$secrets" ]; then
        echo "no secrets recorded; $nlogs logs"
        exit 0
    fi
    patterns=$(mktemp)
    trap 'rm -f "$patterns"' EXIT
    awk -v min=$min 'length($0) >= min' "$secrets" | sort -u >"$patterns"
    nsecrets=$(grep -c . "$patterns" || true)
    echo "checking $nlogs logs for $nsecrets secrets (of at least $min characters)"
    [ "$nsecrets" -gt 0 ] && [ "$nlogs" -gt 0 ] || exit 0
    # One grep over every log (-F: fixed strings, -o: only the secret, so the report names it).
    # (xargs may run several greps: what they print decides, not their exit status.)
    hits=$(printf '%s\n' "$logs" | LC_ALL=C xargs -d '\n' grep -o -n -H -F -f "$patterns" || true)
    if [ -n "$hits" ]; then
        printf '%s\n' "$hits" | sort -u | while IFS= read -r hit; do
            echo "SECRET IN LOG: $hit"
        done
        echo "some logs show secrets the tests created (above: file, line, secret)"
        exit 1
    fi
    echo "no secret found in any log"
    ;;
*)
    echo "usage: $0 clear|check DIR" >&2
    exit 2
    ;;
esac
