#!/usr/bin/env bash
# Upload: the recording plugin's tus uploads next to the disk's own rate for the same durable writes.
#
#   bench/recording/upload.sh [BUILD_DIR]      (default: build; builds nothing)
#
# vtpd: UPLOADS (4) concurrent tus uploads of SIZE_MIB (1024) MiB each to one recording, over
# 127.0.0.1, each on its own persistent HTTP/1.1 connection: POST .../uploads with Upload-Length,
# then PATCHes of CHUNK_MIB (8) MiB (application/offset+octet-stream, Upload-Offset,
# Tus-Resumable 1.0.0), each answered 204 once its bytes are on the disk.
# Reference: UPLOADS concurrent writers, each writing SIZE_MIB MiB to its own file as the same
# CHUNK_MIB MiB chunks with os.write and an os.fsync after each chunk. vtpd does a little more per
# chunk: it fdatasyncs the file and then fsyncs the recording's directory (and updates its SQLite
# row) before each 204; the reference syncs the file only.
# Both write the same bytes into one temporary directory (the recordings' storage_dir is below it),
# so on the same file system; they alternate (reference, vtpd, reference, vtpd, ...) RUNS (3) times,
# and every file is deleted after its run, then sync(2) and a second's pause (untimed: the
# deletion and its discards land before the other side starts). Printed: each run's MiB/s (all
# uploads together) of both, the ratio vtpd/reference per run, and the median ratio. Target (the
# recording issue): at least 0.8. After each vtpd run every upload is checked (HEAD's Upload-Offset, the recording's
# size_bytes, the file in the storage directory byte for byte) before the recording is deleted.
# The client is bench/recording/upload_bench.py (Python 3, standard library) on the same cores.
# Environment: SIZE_MIB, CHUNK_MIB, UPLOADS, RUNS; a quick check: SIZE_MIB=64 RUNS=1.
set -euo pipefail

build=${1:-build}
size_mib=${SIZE_MIB:-1024}
chunk_mib=${CHUNK_MIB:-8}
uploads=${UPLOADS:-4}
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)

source "$here/../common.sh"
need_tools python3 df stat
find_vtpd "$build" auth recording
vtpctl=$build/kernel/vtpctl

# One side's files at a time are on the disk (each run deletes its own); keep 1 GiB spare besides.
need_mib=$((size_mib * uploads + 1024))
free_mib=$(df -Pm "$work" | awk 'NR == 2 {print $4}')
if ((free_mib < need_mib)); then
    echo "$work has $free_mib MiB free; this needs $need_mib MiB (SIZE_MIB x UPLOADS + 1 GiB)" >&2
    exit 1
fi

write_vtpd_config warn auth recording
# uploads.max_bytes: one source's limit (Tus-Max-Size, and the upload route's body limit); no
# quota (0), and no live processing (uploads of known length are not processed before a stop,
# which never comes: the recording is deleted).
cat >>"$work/vtpd.toml" <<TOML
[plugins.auth.tokens]
access_ttl_seconds = 86400
[plugins.recording.uploads]
max_bytes = $(((size_mib > chunk_mib ? size_mib : chunk_mib) << 20))
[plugins.recording.quota]
total_bytes = 0
course_bytes = 0
[plugins.recording.processing]
live = false
TOML
password="bench-admin-$RANDOM$RANDOM"
printf '%s\n' "$password" | "$vtpctl" --config "$work/vtpd.toml" user create --email admin@bench.example --role admin \
    --name Admin >/dev/null 2>"$work/vtpctl.log" || { cat "$work/vtpctl.log" >&2; exit 1; }
start_vtpd "$vtpd"

storage=$work/data/recordings reference=$work/reference
mkdir -p "$storage" "$reference"
[[ $(stat -c %d "$storage") == $(stat -c %d "$reference") ]] || { echo "$storage and $reference are on different file systems" >&2; exit 1; }

size=$((size_mib << 20)) chunk=$((chunk_mib << 20))
echo "environment: $(nproc) cores, $(uname -r), $(findmnt -no FSTYPE,SOURCE -T "$work" 2>/dev/null | tr -s ' ') at $work" \
    "($free_mib MiB free), build ${build_type:-?}, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$uploads concurrent writers x $size_mib MiB in $chunk_mib MiB chunks, each chunk synced before the next; $runs runs, alternating"

side() { # reference|vtpd ARGS...: prints "MIB_PER_S SECONDS"
    python3 "$here/upload_bench.py" "$@" || { echo "the $1 run failed; vtpd's log ends:" >&2; tail -5 "$work/vtpd.log" >&2; exit 1; }
}

ratios=()
for ((i = 1; i <= runs; i++)); do
    out=$(side reference "$reference" "$size" "$chunk" "$uploads")
    read -r ref_mib ref_s <<<"$out"
    out=$(side vtpd "$vtpd_url" "$password" "$storage" "$size" "$chunk" "$uploads")
    read -r vtpd_mib vtpd_s <<<"$out"
    r=$(ratio "$vtpd_mib" "$ref_mib")
    ratios+=("$r")
    printf 'run %d: reference %8.1f MiB/s (%6.2f s)   vtpd %8.1f MiB/s (%6.2f s)   vtpd/reference %s\n' \
        "$i" "$ref_mib" "$ref_s" "$vtpd_mib" "$vtpd_s" "$r"
done
echo
echo "median vtpd/reference: $(python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.2f}')" "${ratios[@]}")" \
    "(runs: ${ratios[*]}); target: >= 0.80"
if grep -q '"level":"error"' "$work/vtpd.log"; then
    echo "vtpd logged errors:" >&2
    grep '"level":"error"' "$work/vtpd.log" | head -5 >&2
fi
