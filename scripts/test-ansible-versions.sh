#!/usr/bin/env bash
# Unit tests and `ansible-test sanity` on each ansible-core release that
# meta/runtime.yml claims (requires_ansible), on this machine's Python.
# Each version has its own small venv, .venv-core2.X, made from
# tests/versions/core-2.X.txt and rebuilt when that file (or common.txt)
# changes, as scripts/setup-venv.sh does for .venv.
#
# A release that needs a newer Python than this machine's (2.20: >= 3.12)
# says `# controller: container` in its requirements file. It runs in a
# Debian 13 container on Python 3.13 (scripts/controller-container.sh), with
# its venv in $SECURE_KUBO_CACHE/controller/venv-core2.X, made and checked
# the same way.
#
#   scripts/test-ansible-versions.sh                     2.16 2.17 2.18 2.19 2.20
#   ANSIBLE_VERSIONS="2.16 2.17" scripts/test-ansible-versions.sh
#   UNIT=full scripts/test-ansible-versions.sh           the whole unit suite
#   STEPS=unit scripts/test-ansible-versions.sh          no sanity
#
# `make test` runs this as its `versions` stage with ANSIBLE_VERSIONS="2.16
# 2.17 2.18 2.20": its unit and sanity stages already run 2.19, with the
# whole suite and the full tooling of requirements-dev.txt.
#
# UNIT=lean (the default) runs every test of tests/unit and tests/collection
# except those in LEAN_SKIP below, which check something no ansible-core
# code takes part in; they run on 2.19 in the unit stage. UNIT=full runs them
# too (except galaxy-importer, which is not installed in these venvs).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
read -ra versions <<<"${ANSIBLE_VERSIONS:-2.16 2.17 2.18 2.19 2.20}"
read -ra steps <<<"${STEPS:-unit sanity}"
UNIT=${UNIT:-lean}

# Never run per version (both modes): Galaxy's own import check of the
# tarball (galaxy-importer with ansible-lint, from requirements-dev.txt). It
# checks what Galaxy's server accepts, not the controller.
ALWAYS_SKIP=(tests/collection/test_galaxy_importer.py)
# Never run per version either: the execution environment's build context
# (ansible-builder and bindep, from requirements-dev.txt), which checks
# ansible-builder's output, not the controller; the unit stage runs it.
IGNORE=(tests/collection/test_execution_environment.py)
# Skipped per version with UNIT=lean: Hypothesis runs that render hundreds of
# Caddyfiles and have the Caddy binaries parse each (about 40 s of the
# suite's 100 s). The renderers are plain Python; the only ansible-core name
# they use is AnsibleFilterError, which the other caddyfile tests (refusals,
# `caddy adapt` of each setting) exercise on every version.
LEAN_SKIP=(
  tests/unit/plugins/filter/test_caddyfile_structure.py::test_nasty_fragments_are_refused_or_change_nothing
  tests/unit/plugins/filter/test_caddyfile_properties.py::test_valid_settings_give_a_caddyfile_caddy_accepts
  tests/unit/plugins/filter/test_caddyfile_dns.py::test_valid_dns_settings_give_a_caddyfile_the_dns_build_accepts
)
skip=("${ALWAYS_SKIP[@]}")
[[ $UNIT == full ]] || skip+=("${LEAN_SKIP[@]}")

in_container() { # VERSION
  grep -qx '# controller: container' "tests/versions/core-$1.txt"
}
venv_of() { # VERSION
  if in_container "$1"; then
    echo "${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}/controller/venv-core$1"
  else
    echo "$PWD/.venv-core$1"
  fi
}
# VERSION COMMAND...: run COMMAND with the version's venv first on PATH, here
# or in the controller container
with_venv() {
  local v=$1
  shift
  if in_container "$v"; then
    CONTROLLER_VENV=$(venv_of "$v") scripts/controller-container.sh "$@"
  else
    PATH="$(venv_of "$v")/bin:$PATH" "$@"
  fi
}
step_venv() { # VERSION
  if in_container "$1"; then
    scripts/controller-container.sh env VENV="$(venv_of "$1")" \
      REQUIREMENTS="tests/versions/core-$1.txt" scripts/setup-venv.sh
  else
    VENV=.venv-core$1 REQUIREMENTS=tests/versions/core-$1.txt scripts/setup-venv.sh
  fi
}
step_unit() { # VERSION
  local deselect=() s caddy_dns
  for s in "${skip[@]}"; do deselect+=(--deselect "$s"); done
  for s in "${IGNORE[@]}"; do deselect+=(--ignore "$s"); done
  # Built (or found in the cache) here: the container has no Go toolchain.
  caddy_dns=$(scripts/build-caddy-dns.sh) || return 1
  CADDY_DNS_BINARY=$caddy_dns with_venv "$1" python -m pytest -p no:cacheprovider -q -rfE \
    "${deselect[@]}" tests/unit tests/collection
}
step_sanity() { # VERSION
  with_venv "$1" env VENV="$(venv_of "$1")" scripts/sanity.sh
}

echo "=== per version (UNIT=$UNIT), not run:" >&2
printf '  %s\n' "${skip[@]}" "${IGNORE[@]}" >&2
rows=() failed=0
for v in "${versions[@]}"; do
  [[ -f tests/versions/core-$v.txt ]] || { echo "no tests/versions/core-$v.txt" >&2; failed=1; continue; }
  row=$(printf '%-6s' "$v") version_start=$SECONDS
  for step in venv "${steps[@]}"; do
    printf '\n=== ansible-core %s: %s\n' "$v" "$step" >&2
    start=$SECONDS
    if "step_$step" "$v"; then result=ok; else result=FAILED; failed=1; fi
    row+=$(printf '  %-6s %-6s %4ds' "$step" "$result" $((SECONDS - start)))
    [[ $step == venv && $result == FAILED ]] && break
  done
  # The Python the venv was made with: this machine's, or the container's.
  python=$(sed -n 's/^version = //p' "$(venv_of "$v")/pyvenv.cfg" 2>/dev/null)
  in_container "$v" && python+=" (container)"
  rows+=("$row$(printf '  total %4ds  Python %s' $((SECONDS - version_start)) "${python:-?}")")
  printf '=== ansible-core %s: %ds\n' "$v" $((SECONDS - version_start)) >&2
done
printf '\n=== ansible-core versions\n'
printf '%s\n' "${rows[@]}"
((failed == 0))
