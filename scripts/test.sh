#!/usr/bin/env bash
# The project's whole test run; README's test command (`make test`) calls it
# and so does CI. Sets up everything it needs on a fresh Debian machine.
#
#   scripts/test.sh              every stage
#   scripts/test.sh unit lint    only the named stages
#
# Stages: setup unit lint sanity versions molecule
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export VENV=${VENV:-.venv}
export SECURE_KUBO_CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
export PATH="$PWD/$VENV/bin:$PATH"
# Make this checkout importable as secure_kubo.rpc for ansible and pytest.
. scripts/lib/collection.sh || exit 1

stage_setup() { scripts/setup-host.sh && scripts/setup-venv.sh; }
stage_unit() { python -m pytest -p no:cacheprovider -q tests/unit tests/collection; }
stage_lint() {
  ansible-lint --nocolor -q && antsibull-changelog lint
}
stage_sanity() { scripts/sanity.sh; }
# Unit tests (lean set) and sanity with the other ansible-core releases
# meta/runtime.yml claims (2.20 in a Debian 13 container, for its Python
# 3.13); the stages above run 2.19 (see the script).
stage_versions() { ANSIBLE_VERSIONS=${ANSIBLE_VERSIONS:-2.16 2.17 2.18 2.20} scripts/test-ansible-versions.sh; }
stage_molecule() { scripts/test-molecule.sh; }

stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(setup unit lint sanity versions molecule)
passed=0 failed=0 report=()
for stage in "${stages[@]}"; do
  echo "=== stage $stage"
  start=$SECONDS
  if "stage_$stage"; then
    passed=$((passed + 1)); result=ok
  else
    failed=$((failed + 1)); result=FAILED
  fi
  report+=("$(printf '%-9s %-6s %4ds' "$stage" "$result" $((SECONDS - start)))")
  # Nothing else can run without the tools.
  [[ $stage == setup && $result == FAILED ]] && break
done
echo "=== summary"
printf '%s\n' "${report[@]}"
echo "stages: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
