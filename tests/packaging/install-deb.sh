#!/usr/bin/env bash
# CTest fixture: builds the .deb from this build tree with cpack (which builds nothing: the
# tree must be built) and installs it on this machine. Needs root; CI runs on a throwaway
# machine. Installing over a previous install of any version is fine.
# Usage: install-deb.sh BUILD_DIR OUT_DIR CPACK
set -euo pipefail
build=$1 out=$2 cpack=$3

if [[ $(id -u) -ne 0 ]]; then
    echo "installing the package needs root; skipped" >&2
    exit 77
fi

rm -rf "$out"
mkdir -p "$out"
if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1; then
    cat "$out/cpack.log" >&2
    exit 1
fi
debs=("$out"/vtp_*.deb)
echo "built ${debs[0]}"
# No network: every dependency must already be installed (packaging/dev/deps.sh).
DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[0]}"
