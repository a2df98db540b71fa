#!/usr/bin/env bash
# The tree follows its .clang-format (clang-format 14, Debian 12's): names every file that
# clang-format would change, and how to fix it. Usage: clang_format.sh SOURCE_DIR
set -euo pipefail
cd "$1"
format=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z "$format" ]]; then
  echo "clang-format is not installed (packaging/dev/deps.sh installs it)" >&2
  exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')
else
  mapfile -t files < <(find kernel sdk plugins tests bench -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' | sort)
fi
existing=()
for f in "${files[@]}"; do [[ -f "$f" ]] && existing+=("$f"); done
# One clang-format per batch of files; each unformatted place is reported as "FILE:LINE:COL: error: ...".
report=$(printf '%s\0' "${existing[@]}" | xargs -0 -n 100 "$format" --style=file --dry-run -Werror 2>&1 || true)
mapfile -t bad < <(grep -oE '^[^:]+:[0-9]+:[0-9]+: error' <<<"$report" | cut -d: -f1 | sort -u || true)
if ((${#bad[@]})); then
  printf 'not formatted: %s\n' "${bad[@]}"
  echo "fix with: $format -i ${bad[*]}"
  exit 1
fi
if grep -q 'error' <<<"$report"; then
  echo "$report" >&2
  exit 1
fi
echo "${#existing[@]} files follow .clang-format"
