#!/usr/bin/env bash
# Run the Molecule scenarios in real systemd containers (podman): Kubo, Caddy
# and Pebble as the ACME CA, end to end.
#
#   scripts/test-molecule.sh                    every scenario, `molecule test`
#   SCENARIOS="trixie" scripts/test-molecule.sh one scenario
#   MOLECULE_JOBS=1 scripts/test-molecule.sh   one scenario at a time (default 2)
#   scripts/test-molecule.sh converge -s trixie any other molecule command,
#   scripts/test-molecule.sh verify -s default  with the same set-up
#   scripts/test-molecule.sh destroy --all
#
# Installs what is missing on a fresh Debian host (as root), makes the venv,
# links the repository in as the collection secure_kubo.rpc, builds Kubo, the
# test images and a local copy of Caddy's apt repository (all cached), then
# runs Molecule and prints the wall time of each step. Environment:
# KUBO_BINARY, KUBO_VERSION, SECURE_KUBO_CACHE (see scripts/build-kubo.sh),
# FORCE=1 (rebuild images), VENV.
#
# A scenario can run with another ansible-core as the controller:
# MOLECULE_CORE_<scenario>=2.X runs it from .venv-core2.X (made from
# tests/versions/core-2.X.txt, with Molecule), the rest from VENV. By default
# `fleet` runs with 2.16, the oldest release meta/runtime.yml claims; the
# others with VENV's 2.19. MOLECULE_CORE_fleet= runs it with VENV too.
#   MOLECULE_CORE_guide=2.16 SCENARIOS=guide scripts/test-molecule.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

timings=()
step() { # step NAME COMMAND... : run, time and record
  local name=$1 start=$SECONDS rc=0
  shift
  printf '\n=== %s\n' "$name" >&2
  "$@" || rc=$?
  timings+=("$(printf '%-36s %5d s  %s' "$name" $((SECONDS - start)) "$([[ $rc == 0 ]] && echo ok || echo "FAILED ($rc)")")")
  return "$rc"
}
report() {
  printf '\n=== wall time per step\n' >&2
  printf '%s\n' "${timings[@]}" >&2
}
trap report EXIT

# --- host packages (fresh machine) ------------------------------------------
host_packages() {
  local missing=() pair
  for pair in podman:podman runc:runc debootstrap:debootstrap curl:curl; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || { echo "missing ${missing[*]}: run as root or install them" >&2; return 1; }
  apt-get update -qq || return
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || return
  export SECURE_KUBO_APT_UPDATED=1
}
step "host packages" host_packages

# Podman reads the project's own settings (runc, ulimits), nothing in /etc.
export CONTAINERS_CONF=$ROOT/tests/podman/containers.conf

# --- Python tooling -----------------------------------------------------------
VENV=${VENV:-$ROOT/.venv}
step "venv (scripts/setup-venv.sh)" env VENV="$VENV" scripts/setup-venv.sh
export PATH=$VENV/bin:$PATH

# The ansible-core a scenario runs with: empty for VENV's.
: "${MOLECULE_CORE_fleet=2.16}"
export MOLECULE_CORE_fleet
scenario_core() { # NAME
  local var=MOLECULE_CORE_$1
  if [[ $1 =~ ^[A-Za-z0-9_]+$ ]]; then printf '%s' "${!var:-}"; fi
}
core_venv() { # VERSION: make the venv of that version, if needed
  step "venv ansible-core $1 (scripts/setup-venv.sh)" \
    env VENV="$ROOT/.venv-core$1" REQUIREMENTS="tests/versions/core-$1.txt" scripts/setup-venv.sh
}

# --- the collection, importable as secure_kubo.rpc ---------------------------
# molecule/config.yml points ANSIBLE_COLLECTIONS_PATH at the same directory.
. scripts/lib/collection.sh || exit 1

# --- the collection as Galaxy users get it (molecule/site) -------------------
galaxy_install() {
  local out=$ROOT/.cache/galaxy-build
  rm -rf "$out" "$ROOT/.cache/galaxy-collections" && mkdir -p "$out"
  ansible-galaxy collection build --force --output-path "$out" "$ROOT" >/dev/null &&
    ansible-galaxy collection install --force -p "$ROOT/.cache/galaxy-collections" "$out"/secure_kubo-rpc-*.tar.gz >/dev/null
}
step "collection tarball, installed for molecule/site" galaxy_install

# --- Kubo and the images -------------------------------------------------------
step "Kubo binary (scripts/build-kubo.sh)" scripts/build-kubo.sh >"$ROOT/.cache/kubo-binary"
KUBO_BINARY=$(cat "$ROOT/.cache/kubo-binary")
export KUBO_BINARY
# The other releases that molecule/site installs and upgrades (the oldest
# with RPC authorization, the first whose client speaks /dns/.../https, the
# newest that builds); built once each and cached.
other_kubo() { local v; for v in v0.25.0 v0.34.1 v0.43.0; do env -u KUBO_BINARY KUBO_NODE_ONLY=1 KUBO_VERSION=$v scripts/build-kubo.sh >/dev/null || return; done; }
step "other Kubo releases (scripts/build-kubo.sh)" other_kubo
step "images (scripts/build-images.sh)" scripts/build-images.sh
# Caddy's apt repository as a local copy (molecule/site serves it).
step "Caddy apt repository (scripts/build-caddy-repo.sh)" scripts/build-caddy-repo.sh >"$ROOT/.cache/caddy-repo"
CADDY_REPO=$(cat "$ROOT/.cache/caddy-repo")
export CADDY_REPO
# Caddy with the rfc2136 DNS provider (molecule/dns), built once and cached;
# the scenario asks the script for its path again.
step "Caddy with DNS providers (scripts/build-caddy-dns.sh)" scripts/build-caddy-dns.sh >/dev/null

# --- Molecule -----------------------------------------------------------------
export MOLECULE_GLOB='molecule/*/molecule.yml'
molecule=(molecule -c molecule/config.yml)

if (($#)); then
  # The scenario named with -s/--scenario-name runs with its ansible-core.
  args=("$@") core=""
  for ((i = 0; i < ${#args[@]} - 1; i++)); do
    [[ ${args[i]} == -s || ${args[i]} == --scenario-name ]] && core=$(scenario_core "${args[i + 1]}")
  done
  if [[ -n $core ]]; then
    core_venv "$core" || exit
    PATH=$ROOT/.venv-core$core/bin:$PATH
  fi
  step "molecule $*${core:+ (ansible-core $core)}" "${molecule[@]}" "$@"
  exit
fi

if [[ -n ${SCENARIOS:-} ]]; then
  read -ra scenarios <<<"$SCENARIOS"
else
  # Longest first, so that the two lanes below finish close together.
  scenarios=()
  for s in faults site trixie dns default guide fleet; do [[ -f molecule/$s/molecule.yml ]] && scenarios+=("$s"); done
  for f in molecule/*/molecule.yml; do
    s=$(basename "$(dirname "$f")")
    [[ " ${scenarios[*]} " == *" $s "* ]] || scenarios+=("$s")
  done
fi

# Venvs of the other ansible-core versions the scenarios run with.
declare -A core_venvs=()
for s in "${scenarios[@]}"; do
  core=$(scenario_core "$s")
  [[ -z $core || -n ${core_venvs[$core]:-} ]] && continue
  core_venv "$core" || exit
  core_venvs[$core]=$ROOT/.venv-core$core
done

# Scenarios run MOLECULE_JOBS at a time (default 2): much of a scenario is
# waiting (boots, restarts, ACME), so two overlap well even on 2 cores. Each
# one's output goes to its own log, printed whole when it ends.
logs=$(mktemp -d)
trap 'rm -rf "$logs"; report' EXIT
run_scenario() { # NAME (in a subshell: PATH changes stay here)
  local start=$SECONDS rc=0 core
  core=$(scenario_core "$1")
  [[ -z $core ]] || PATH=${core_venvs[$core]}/bin:$PATH
  echo "controller: $(ansible --version | sed -n 1p)" >"$logs/$1.log"
  "${molecule[@]}" test -s "$1" >>"$logs/$1.log" 2>&1 || rc=$?
  printf '%s %s\n' "$rc" $((SECONDS - start)) >"$logs/$1.result"
}
show_scenario() { # NAME: its log and its line in the timings
  local rc secs core
  core=$(scenario_core "$1")
  read -r rc secs <"$logs/$1.result"
  printf '\n=== molecule test -s %s\n' "$1" >&2
  cat "$logs/$1.log" >&2
  timings+=("$(printf '%-36s %5d s  %s' "molecule test -s $1${core:+ (core $core)}" "$secs" "$([[ $rc == 0 ]] && echo ok || echo "FAILED ($rc)")")")
  [[ $rc == 0 ]] || failed+=("$1")
}
failed=()
lane_start=$SECONDS
for s in "${scenarios[@]}"; do
  while (($(jobs -rp | wc -l) >= ${MOLECULE_JOBS:-2})); do wait -n || true; done
  echo "=== started molecule test -s $s (at $((SECONDS - lane_start)) s)" >&2
  run_scenario "$s" &
done
wait
for s in "${scenarios[@]}"; do show_scenario "$s"; done
timings+=("$(printf '%-36s %5d s' "molecule, all scenarios" $((SECONDS - lane_start)))")
if ((${#failed[@]})); then
  echo "FAILED scenarios: ${failed[*]}" >&2
  exit 1
fi
