#!/usr/bin/env bash
# The timetabling solver on the ITC-2007 curriculum-based instances (comp01..comp21), next to the
# best-known UD2 costs from the data README.
#
#   bench/timetabling/run.sh [TOOL] [TIME_LIMIT] [SEEDS] [INSTANCE...]
#
#   TOOL        the vtp_timetable executable (default: build/plugins/courses/vtp_timetable); builds nothing
#   TIME_LIMIT  seconds per run (default 60)
#   SEEDS       runs per instance, with seeds 1..SEEDS (default 3)
#   INSTANCE    e.g. comp01 comp05 (default: all 21)
#
# Every timetable is checked with `vtp_timetable check`; the table shows, per instance, the
# best-known cost, the median and best of the feasible runs, the median's gap to the best-known,
# the feasible runs, and whether the median is within 25% (or 5 points, whichever is larger) of
# the best-known. Environment: VTP_DATA_DIR (default: ../shared/data beside the checkout),
# THREADS (solver threads per run, default 2), JOBS (runs at once, default 1), OUT_DIR (where .sol
# files go; default a temp dir). A run whose output is already in OUT_DIR from the same tool and
# time limit is kept, not redone, so that a long benchmark can be resumed or extended by seeds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tool=${1:-$root/build/plugins/courses/vtp_timetable}
limit=${2:-60}
seeds=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
instances=("$@")
if (( ${#instances[@]} == 0 )); then
    for i in $(seq -w 1 21); do instances+=("comp$i"); done
fi
data=${VTP_DATA_DIR:-$root/../shared/data}/itc2007-cbctt
threads=${THREADS:-2}
jobs=${JOBS:-1}
out=${OUT_DIR:-$(mktemp -d /tmp/vtp-timetabling-XXXXXX)}
mkdir -p "$out"

[[ -x $tool ]] || { echo "no $tool: build it first (ninja -C BUILD_DIR vtp_timetable)" >&2; exit 1; }
[[ -f $data/README.md ]] || { echo "no $data/README.md: set VTP_DATA_DIR" >&2; exit 1; }
[[ $limit =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "TIME_LIMIT must be a number of seconds" >&2; exit 2; }
[[ $seeds =~ ^[1-9][0-9]*$ ]] || { echo "SEEDS must be a positive whole number" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "JOBS must be a positive whole number" >&2; exit 2; }

# Best-known costs: column "Best known (UD2)" of the README's instance table ("66 (see note)" -> 66).
best_known() {
    awk -F'|' -v inst="$1" '{ gsub(/ /, "", $2) } $2 == inst { split($11, f, " "); for (i in f) if (f[i] ~ /^[0-9]+$/) { print f[i]; exit } }' \
        "$data/README.md"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "vtp_timetable: $tool; $limit s per run, seeds 1..$seeds, $threads threads, $jobs at once; solutions in $out"

# One run; its stamp names the tool, limit and threads so that a resumed benchmark reuses only
# runs made the same way.
stamp="$(sha256sum "$tool" | cut -c1-16) limit=$limit threads=$threads"
solve_one() {
    local inst=$1 seed=$2 base=$out/$1-seed$2
    if [[ -f $base.sol && -f $base.stamp && $(cat "$base.stamp") == "$stamp" ]]; then return 0; fi
    rm -f "$base.sol" "$base.stamp"
    "$tool" solve "$data/$inst.ctt" --time-limit "$limit" --seed "$seed" --threads "$threads" --quiet \
        -o "$base.sol" > "$base.solve.txt" 2>&1 || true
    echo "$stamp" > "$base.stamp"
}
export -f solve_one
export out data tool limit threads stamp
for inst in "${instances[@]}"; do
    [[ -f $data/$inst.ctt ]] || { echo "no $data/$inst.ctt" >&2; exit 1; }
    for seed in $(seq 1 "$seeds"); do echo "$inst $seed"; done
done | xargs -P "$jobs" -L 1 bash -c 'solve_one "$0" "$1"'

printf '%-8s %10s %10s %8s %9s %9s %7s\n' instance best-known median best gap feasible target
within=0
all_feasible=yes
for inst in "${instances[@]}"; do
    ctt=$data/$inst.ctt
    [[ -f $ctt ]] || { echo "no $ctt" >&2; exit 1; }
    bk=$(best_known "$inst")
    costs=()
    feasible=0
    for seed in $(seq 1 "$seeds"); do
        sol=$out/$inst-seed$seed.sol
        if [[ -f $sol ]] && "$tool" check "$ctt" "$sol" > "$out/$inst-seed$seed.check.txt" 2>&1; then
            feasible=$((feasible + 1))
            costs+=("$(sed -n 's/^Soft cost total: *//p' "$out/$inst-seed$seed.check.txt")")
        fi
    done
    if (( feasible < seeds )); then all_feasible=no; fi
    if (( feasible > 0 )); then
        med=$(printf '%s\n' "${costs[@]}" | median)
        best=$(printf '%s\n' "${costs[@]}" | sort -n | head -1)
    else
        med=-; best=-
    fi
    gap=-; target=no
    if [[ $med != - && -n $bk ]]; then
        gap=$(awk -v m="$med" -v b="$bk" 'BEGIN { if (b > 0) printf "%+.0f%%", 100 * (m - b) / b; else printf "%+g", m - b }')
        ok=$(awk -v m="$med" -v b="$bk" 'BEGIN { slack = b * 0.25; if (slack < 5) slack = 5; print (m <= b + slack) ? 1 : 0 }')
        if [[ $ok == 1 && $feasible == "$seeds" ]]; then target=yes; within=$((within + 1)); fi
    fi
    printf '%-8s %10s %10s %8s %9s %9s %7s\n' "$inst" "${bk:--}" "$med" "$best" "$gap" "$feasible/$seeds" "$target"
done
echo "median within 25% (or 5) of best-known: $within of ${#instances[@]} instances; every run feasible: $all_feasible"
