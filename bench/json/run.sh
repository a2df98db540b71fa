#!/usr/bin/env bash
# The strict JSON check of record (sdk/include/vtp/json_check.hpp on RapidJSON, as the kernel and
# the signalling plugin call it) beside the hand-written checkers it replaced and simdjson.
#
#   bench/json/run.sh [RUNS]      (default 3; needs g++, rapidjson-dev, libsimdjson-dev, git)
#
# The old checkers come from BASELINE (default be2c74e, the last commit that had them), taken
# with git into a temp dir and renamed into a `baseline` namespace. Everything is built with the
# project's optimised flags (-O2, as RelWithDebInfo), run RUNS times; the table shows the median
# ns/op of each checker and the ratio old/new (above 1: the new check is faster).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${1:-3}
baseline=${BASELINE:-be2c74e}
source "$root/bench/common.sh"
need_tools g++ git python3
[[ -f /usr/include/rapidjson/reader.h ]] || { echo "missing rapidjson-dev" >&2; exit 1; }
[[ -f /usr/include/simdjson.h ]] || { echo "missing libsimdjson-dev (a benchmark peer only)" >&2; exit 1; }

mkdir -p "$work/baseline"
git -C "$root" show "$baseline:kernel/src/http/JsonCheck.cpp" |
    sed 's/^namespace vtp::kernel {/namespace vtp::kernel::baseline {/' >"$work/baseline/JsonCheckOld.cpp"
git -C "$root" show "$baseline:plugins/signalling/src/protocol/JsonScanner.hpp" |
    sed 's/^namespace vtp::signalling::protocol {/namespace vtp::signalling::protocol::baseline {/' >"$work/baseline/JsonScannerOld.hpp"
git -C "$root" show "$baseline:plugins/signalling/src/protocol/JsonScanner.cpp" |
    sed -e 's/^namespace vtp::signalling::protocol {/namespace vtp::signalling::protocol::baseline {/' \
        -e 's|#include "protocol/JsonScanner.hpp"|#include "baseline/JsonScannerOld.hpp"|' >"$work/baseline/JsonScannerOld.cpp"

g++ -std=c++20 -O2 -DNDEBUG -I"$work" -I"$root/kernel/src" -I"$root/plugins/signalling/src" -I"$root/sdk/include" \
    "$here/bench_json.cpp" "$work/baseline/JsonCheckOld.cpp" "$work/baseline/JsonScannerOld.cpp" \
    "$root/kernel/src/http/JsonCheck.cpp" "$root/plugins/signalling/src/protocol/JsonScanner.cpp" \
    -lsimdjson -o "$work/bench_json"

echo "environment: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(uname -r), $(g++ --version | head -1)," \
     "rapidjson $(dpkg-query -W -f='${Version}' rapidjson-dev), simdjson $(dpkg-query -W -f='${Version}' libsimdjson-dev)," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do "$work/bench_json" >"$work/run$i.tsv"; done
python3 - "$work" "$runs" <<'PY'
import statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
ns, verdict, order = {}, {}, []
for i in range(1, runs + 1):
    for line in open(f"{work}/run{i}.tsv"):
        inp, checker, t, v = line.rstrip("\n").split("\t")
        if (inp, checker) not in ns: order.append((inp, checker)); ns[(inp, checker)] = []
        ns[(inp, checker)].append(float(t)); verdict[(inp, checker)] = v
med = {k: statistics.median(v) for k, v in ns.items()}
inputs = list(dict.fromkeys(i for i, _ in order))
print(f"median of {runs} runs, ns/op (verdict)")
print(f"{'input':22} {'kernel old':>16} {'kernel new':>16} {'ratio':>6} {'signal. old':>16} {'signal. new':>16} {'ratio':>6} {'simdjson DOM':>16}")
def cell(i, c): return f"{med[(i, c)]:9.0f} ({verdict[(i, c)][:3]})"
for i in inputs:
    print(f"{i:22} {cell(i,'kernel-old'):>16} {cell(i,'kernel-new'):>16} {med[(i,'kernel-old')]/med[(i,'kernel-new')]:6.2f}"
          f" {cell(i,'signalling-old'):>16} {cell(i,'signalling-new'):>16} {med[(i,'signalling-old')]/med[(i,'signalling-new')]:6.2f}"
          f" {cell(i,'simdjson-dom'):>16}")
PY
