#!/usr/bin/env bash
# The first and no-op site.yml runs of several commits, measured in one go on
# this machine, so that their ratios can be compared (timings on a shared
# machine drift from hour to hour).
#
#   scripts/bench-compare.sh 64fdd12 HEAD
#
# Each commit is checked out into a scratch worktree that gets this
# checkout's bench tooling (scripts/bench.sh, bench/report.py,
# tests/callbacks/task_count.py, scripts/lib/collection.sh) and venv; there
# `BENCH_PARTS=converge scripts/bench.sh` runs for BENCH_FLEETS hosts
# (default "1 2 4"). The commits run in the order given, then in reverse
# (A B B A), against drift; BENCH_COMPARE_ROUNDS=1 runs them once. Prints
# each run's result lines; the raw results stay in
# ~/.cache/secure_kubo_rpc/bench/ as with scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
(($# > 0)) || { sed -n '2,15p' "$0" >&2; exit 2; }
export BENCH_FLEETS=${BENCH_FLEETS:-1 2 4} BENCH_PARTS=converge
TOOLING=(scripts/bench.sh bench/report.py tests/callbacks/task_count.py scripts/lib/collection.sh)
scratch=$(mktemp -d)
cleanup() {
  local tree
  for tree in "$scratch"/*/; do
    [[ -d $tree ]] && git worktree remove --force "$tree"
  done
  rm -rf "$scratch"
}
trap cleanup EXIT

declare -A trees=()
for rev in "$@"; do
  [[ -n ${trees[$rev]:-} ]] && continue
  tree=$scratch/$(git rev-parse --short "$rev")
  git worktree add --quiet --detach "$tree" "$rev"
  for file in "${TOOLING[@]}"; do
    mkdir -p "$tree/$(dirname "$file")"
    cp "$file" "$tree/$file"
  done
  ln -s "$ROOT/.venv" "$tree/.venv"
  trees[$rev]=$tree
done

order=("$@")
if [[ ${BENCH_COMPARE_ROUNDS:-2} == 2 ]]; then
  for ((i = $# - 1; i >= 0; i--)); do order+=("${order[$i]}"); done
fi
for rev in "${order[@]}"; do
  printf '\n=== %s (%s), load %s\n' "$rev" "$(git rev-parse --short "$rev")" "$(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "${trees[$rev]}" && scripts/bench.sh) | grep -E '^[0-9]+ host\(s\)|ERROR' || { echo "bench failed at $rev" >&2; exit 1; }
done
