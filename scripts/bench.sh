#!/usr/bin/env bash
# `make bench`: what Caddy with TLS and auth costs in front of Kubo's RPC API,
# and how the site.yml convergence scales with the number of hosts. Writes
# docs/benchmarks.md and docs/benchmarks.json (bench/report.py).
#
#   scripts/bench.sh
#
# 1. Convergence: for 1, 4 and 8 hosts (systemd containers from the test
#    image, reached over SSH with sudo like real servers, docs/ansible.example.cfg
#    as the Ansible settings), the wall time of a first site.yml run with all
#    hosts in one batch (Kubo from the controller, Caddy, a certificate from
#    Pebble in each container) and of a no-op run; plus a no-op run without
#    pipelining (1 host) and one with the playbook's default rolling batch of
#    one host (4 hosts).
# 2. RPC overhead, on the 1-host container before the bigger fleets start:
#    wrk (POST /api/v0/version, keep-alive) directly to Kubo on
#    127.0.0.1:5001 and through Caddy (TLS, https://kubo.test), at several
#    concurrencies; `ipfs add` of a random file both ways; then the same call
#    with Caddy variants (no access log, no TLS, a newer Caddy) to see where
#    the time goes.
#
# Everything runs in containers named secure-kubo-bench-*, removed at the
# end (also on failure or Ctrl-C); the image they run,
# localhost/secure-kubo-bench:bookworm (the test image plus sshd and sudo),
# is kept as a cache. Raw results and logs stay in
# ~/.cache/secure_kubo_rpc/bench/<date>/. Takes 11 to 16 minutes on 2 cores,
# depending on what else runs on the machine.
#
# Only the no-op runs, in a few minutes (no report written: the runs are
# printed, the raw results kept):
#   BENCH_PARTS=converge BENCH_FLEETS="1 2 4" scripts/bench.sh
#
# Environment (defaults in brackets): BENCH_PARTS [converge compare rpc]:
# converge = a first and a no-op site.yml run per fleet, compare = the no-op
# runs without pipelining and with serial 1, rpc = the RPC overhead (all three
# are needed for docs/benchmarks.md); BENCH_FLEETS [1 4 8], BENCH_CONNECTIONS
# [1 8 32], BENCH_SECONDS [10] per path and concurrency, BENCH_WARMUP [2],
# BENCH_BULK_MIB [256], BENCH_BULK_REPS [3], BENCH_VARIANTS [nolog http
# caddy-new] (empty: none), BENCH_OUT [docs], SECURE_KUBO_CACHE, KUBO_BINARY.
#
# BENCH_MODE=local runs scripts/bench-local.sh instead: the small-call bench
# without containers (Kubo, Caddy, nginx on this host's loopback), with the
# guide's Caddyfile and nginx as peers; it prints its report and leaves
# docs/ alone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${BENCH_MODE:-containers} == local ]]; then
  exec scripts/bench-local.sh
fi
ROOT=$PWD
CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
export CONTAINERS_CONF=$ROOT/tests/podman/containers.conf
PREFIX=secure-kubo-bench
IMAGE=localhost/secure-kubo-test:bookworm
# The test image plus sshd and sudo; made from IMAGE on first use, cached.
BENCH_IMAGE=localhost/secure-kubo-bench:bookworm
DOMAIN=kubo.test
read -ra FLEETS <<<"${BENCH_FLEETS:-1 4 8}"
PARTS=" ${BENCH_PARTS:-converge compare rpc} "
read -ra CONNECTIONS <<<"${BENCH_CONNECTIONS:-1 8 32}"
read -ra VARIANTS <<<"${BENCH_VARIANTS-nolog http caddy-new}"
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
BULK_MIB=${BENCH_BULK_MIB:-256}
BULK_REPS=${BENCH_BULK_REPS:-3}
OUT=${BENCH_OUT:-$ROOT/docs}
RUN_ID=$(date -u +%Y%m%d-%H%M%S)
RUN=$CACHE/bench/$RUN_ID
LABEL=io.github.secure-kubo.bench

start=$SECONDS
say() { printf '[%3d:%02d] %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$*"; }
die() { say "ERROR: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }

# Only this run's containers (its label), each removed by name.
destroy() {
  local name
  podman ps -a --filter "label=$LABEL=$RUN_ID" --format '{{.Names}}' | while read -r name; do
    podman rm -f -t 2 "$name" >/dev/null 2>&1 || true
  done
}
cleanup() {
  local rc=$?
  destroy
  ((rc == 0)) || say "failed; logs in $RUN"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- set-up (cached after the first run) ----------------------------------------
say "Setting up: packages, venv, Kubo binary, test image"
mkdir -p "$RUN"
chmod 0700 "$RUN"
scripts/setup-host.sh
scripts/setup-venv.sh
export PATH=$ROOT/.venv/bin:$PATH
KUBO=$(scripts/build-kubo.sh 2>>"$RUN/setup.log")
scripts/build-images.sh bookworm 2>>"$RUN/setup.log"
if ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
  apt-get install -y -qq openssh-client >/dev/null
fi
. scripts/lib/collection.sh
export ANSIBLE_NOCOLOR=1
export ANSIBLE_CONFIG=$ROOT/docs/ansible.example.cfg
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

# Throw-away credentials of this run: an SSH key and the RPC client's password.
ssh-keygen -q -t ed25519 -N '' -C "$PREFIX" -f "$RUN/id_ed25519"
PASSWORD=$(openssl rand -hex 16)
printf 'bench_password: %s\n' "$PASSWORD" >"$RUN/secrets.yml"
# What was measured: the commit, and whether the working tree differed from it.
git_state=$(git describe --always --dirty 2>/dev/null || echo unknown)
printf '{"run": "%s", "git": "%s", "loadavg_start": "%s", "podman": "%s", "image": "%s", "ansible_config": "docs/ansible.example.cfg", "fleets": [%s], "connections": [%s], "seconds": %d, "warmup": %d, "bulk_mib": %d, "bulk_reps": %d}\n' \
  "$RUN_ID" "$git_state" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(podman --version | awk '{print $3}')" "$IMAGE + sshd, sudo" "$(IFS=,; echo "${FLEETS[*]}")" \
  "$(IFS=,; echo "${CONNECTIONS[*]}")" "$SECONDS_PER_RUN" "$WARMUP" "$BULK_MIB" "$BULK_REPS" >"$RUN/env.json"

# --- hosts ------------------------------------------------------------------------
# What a real server has and the test image lacks: sshd, and sudo for become
# (su would turn pipelining off). Rebuilt when the test image changes.
bench_image() {
  local base have name=$PREFIX-image
  base=$(podman image inspect -f '{{.Id}}' "$IMAGE")
  have=$(podman image inspect -f "{{index .Labels \"$LABEL.base\"}}" "$BENCH_IMAGE" 2>/dev/null || true)
  [[ $have != "$base" ]] || return 0
  say "Making $BENCH_IMAGE: $IMAGE plus sshd and sudo"
  podman rm -f -t 2 "$name" >/dev/null 2>&1 || true
  podman run --name "$name" --label "$LABEL=$RUN_ID" -e DEBIAN_FRONTEND=noninteractive "$IMAGE" sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server sudo && rm -rf /var/lib/apt/lists/*' \
    >>"$RUN/setup.log" 2>&1 || die "installing sshd into the image failed (see $RUN/setup.log)"
  podman commit -q --change 'CMD ["/sbin/init"]' --change "LABEL $LABEL.base=$base" "$name" "$BENCH_IMAGE" >/dev/null
  podman rm -f "$name" >/dev/null
}
bench_image

hosts=()
start_hosts() { # start_hosts N: N systemd containers, ready for site.yml over SSH
  local n=$1 i name
  hosts=()
  for ((i = 1; i <= n; i++)); do
    name=$PREFIX-$i
    hosts+=("$name")
    podman rm -f -t 2 "$name" >/dev/null 2>&1 || true # a leftover of an interrupted bench
    podman run -d --name "$name" --hostname "$name" --systemd always --label "$LABEL=$RUN_ID" \
      --add-host "$DOMAIN:127.0.0.1" "$BENCH_IMAGE" /sbin/init >/dev/null
  done
  inventory >"$RUN/inventory.yml"
  # The bench's SSH key, and the package lists fresh as on any maintained host.
  local pids=()
  for name in "${hosts[@]}"; do
    podman exec -i "$name" sh -c 'mkdir -p -m 0700 /root/.ssh && cat >/root/.ssh/authorized_keys' <"$RUN/id_ed25519.pub"
    podman exec "$name" apt-get update -qq >>"$RUN/prepare-$n.log" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || die "apt-get update failed (see $RUN/prepare-$n.log)"; done
  ansible -i "$RUN/inventory.yml" all -m ansible.builtin.wait_for_connection -a timeout=60 >>"$RUN/prepare-$n.log" 2>&1 ||
    die "the hosts do not answer over SSH (see $RUN/prepare-$n.log)"
  # The ACME CA a real server reaches outside: Pebble, set up as in `make demo`.
  ansible-playbook -i "$RUN/inventory.yml" scripts/demo/prepare.yml >>"$RUN/prepare-$n.log" 2>&1 ||
    { tail -n 30 "$RUN/prepare-$n.log"; die "preparing the hosts failed"; }
}

inventory() { # the hosts of start_hosts, reached over SSH, with the site's settings
  local name
  echo "kubo_rpc:"
  echo "  hosts:"
  for name in "${hosts[@]}"; do
    echo "    $name:"
    echo "      ansible_host: $(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$name")"
  done
  cat <<YAML
  vars:
    ansible_python_interpreter: /usr/bin/python3
    ansible_user: root
    ansible_ssh_private_key_file: $RUN/id_ed25519
    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
    secure_kubo_domain: $DOMAIN
    kubo_install_method: controller
    kubo_binary_src: $KUBO
    caddy_tls_install_method: package  # Debian's 2.6.2, as measured in docs/benchmarks.md
    caddy_tls_acme_ca: https://127.0.0.1:14000/dir
    caddy_tls_acme_ca_root: /etc/pebble/test-ca.pem
    caddy_tls_email: bench@example.com
    kubo_api_auth_clients:
      - name: bench
        username: bench
        password: "{{ bench_password }}"
YAML
}

converge() { # converge N RUN SERIAL [ENV...]: time one site.yml run, JSON callback output kept
  local n=$1 kind=$2 serial=$3 t0 wall rc=0 pipelining=true log
  shift 3
  [[ " $* " == *" ANSIBLE_PIPELINING=False "* ]] && pipelining=false
  log=converge-$n-$kind.json
  say "  site.yml, $kind run: $n host(s), serial $serial, pipelining $pipelining"
  t0=$(now)
  # `times` in the subshell: CPU time of ansible-playbook and everything it
  # started (workers, ssh), i.e. what the run costs the controller.
  (
    rc=0
    env "$@" ANSIBLE_STDOUT_CALLBACK=ansible.posix.json \
      ansible-playbook -i "$RUN/inventory.yml" -e "@$RUN/secrets.yml" -e "secure_kubo_serial=$serial" \
      site.yml >"$RUN/$log" 2>"$RUN/converge-$n-$kind.stderr" || rc=$?
    times >"$RUN/times.tmp" # (not piped: a pipeline would run it in a child without children)
    exit "$rc"
  ) || rc=$?
  wall=$(since "$t0")
  printf '{"hosts": %d, "run": "%s", "serial": %d, "pipelining": %s, "seconds": %s, "controller_cpu_s": %s, "rc": %d, "log": "%s"}\n' \
    "$n" "$kind" "$serial" "$pipelining" "$wall" \
    "$(tail -n 1 "$RUN/times.tmp" | awk '{s = 0; for (i = 1; i <= 2; i++) {split($i, a, /[ms]/); s += a[1] * 60 + a[2]}; printf "%.2f", s}')" \
    "$rc" "$log" >>"$RUN/converge.jsonl"
  say "    $wall s"
  ((rc == 0)) || { tail -n 20 "$RUN/converge-$n-$kind.stderr"; die "site.yml failed (rc $rc), see $RUN/$log"; }
}

# --- RPC overhead -------------------------------------------------------------------
rpc_bench() { # on hosts[0], converged
  local host=${hosts[0]} c i order path variant url api direct=http://127.0.0.1:5001/api/v0/version
  local proxied=https://$DOMAIN:443/api/v0/version
  local env=(-e "BENCH_AUTH=Basic $(printf 'bench:%s' "$PASSWORD" | base64 -w0)"
    -e "BENCH_API_AUTH=basic:bench:$PASSWORD" -e SSL_CERT_FILE=/etc/pebble/roots.pem)
  rpc() { podman exec "${env[@]}" "$host" /root/bench/rpc.sh "$@"; }
  say "RPC overhead on $host: installing wrk from Debian"
  podman exec -e DEBIAN_FRONTEND=noninteractive "$host" apt-get install -y -qq --no-install-recommends wrk \
    >>"$RUN/rpc.log" 2>&1
  podman exec "$host" mkdir -p /root/bench
  podman cp bench/rpc.sh "$host:/root/bench/rpc.sh"
  podman cp bench/wrk-post.lua "$host:/root/bench/wrk-post.lua"
  rpc info >"$RUN/info.json" 2>>"$RUN/rpc.log"
  rpc idle 5 >"$RUN/idle.jsonl" 2>>"$RUN/rpc.log"
  # Each path gets its time in two halves, in the order A B B A (which path is
  # A alternates), so that drift from other load on the machine hits both.
  local half=$(((SECONDS_PER_RUN + 1) / 2)) warm
  declare -A warmed
  for i in "${!CONNECTIONS[@]}"; do
    c=${CONNECTIONS[$i]}
    order=(direct proxied proxied direct)
    ((i % 2 == 0)) || order=(proxied direct direct proxied)
    warmed=()
    for path in "${order[@]}"; do
      say "  POST /api/v0/version, $path, $c connection(s), $half s"
      if [[ $path == direct ]]; then url=$direct; else url=$proxied; fi
      warm=$WARMUP
      [[ -z ${warmed[$path]:-} ]] || warm=0
      warmed[$path]=1
      rpc small "$path" "$url" "$c" "$half" "$warm" >>"$RUN/small.jsonl" 2>>"$RUN/rpc.log"
    done
  done
  # Bulk: the ipfs client speaks HTTP/2 to Caddy; proxied-h1 is the same
  # upload with the client held to HTTP/1.1 (Go's GODEBUG=http2client=0).
  # The order rotates from one repetition to the next.
  local paths=(direct proxied proxied-h1) h1=()
  for ((i = 0; i < BULK_REPS; i++)); do
    order=("${paths[@]:i%3}" "${paths[@]:0:i%3}")
    for path in "${order[@]}"; do
      say "  ipfs add of $BULK_MIB MiB, $path, $((i + 1)) of $BULK_REPS"
      api=/dns/$DOMAIN/tcp/443/https h1=()
      [[ $path != direct ]] || api=/ip4/127.0.0.1/tcp/5001
      [[ $path != proxied-h1 ]] || h1=(-e GODEBUG=http2client=0)
      podman exec "${env[@]}" "${h1[@]}" "$host" /root/bench/rpc.sh bulk "$path" "$api" "$BULK_MIB" \
        >>"$RUN/bulk.jsonl" 2>>"$RUN/rpc.log"
    done
  done
  ((${#VARIANTS[@]})) || return 0
  # Where the proxy's time goes: the same small call at the middle
  # concurrency with one thing changed at a time, then the role's set-up back.
  c=${CONNECTIONS[$((${#CONNECTIONS[@]} / 2))]}
  [[ " ${VARIANTS[*]} " != *" caddy-new "* ]] || podman cp "$ROOT/.venv/bin/caddy" "$host:/usr/local/bin/caddy-bench"
  for variant in "${VARIANTS[@]}"; do
    rpc variant "$variant" >>"$RUN/variants.jsonl" 2>>"$RUN/rpc.log" || { say "  variant $variant failed, skipped"; continue; }
    tail -n 1 "$RUN/variants.jsonl" | grep -q '"ok": true' || { say "  variant $variant not possible, skipped"; continue; }
    url=$proxied
    [[ $variant != http ]] || url=http://$DOMAIN:8081/api/v0/version
    say "  Caddy variant $variant: POST /api/v0/version, $c connections, $half s"
    rpc small "variant:$variant" "$url" "$c" "$half" "$WARMUP" >>"$RUN/small.jsonl" 2>>"$RUN/rpc.log"
  done
  say "  direct again, $c connections (drift check)"
  rpc small "direct-again" "$direct" "$c" "$half" "$WARMUP" >>"$RUN/small.jsonl" 2>>"$RUN/rpc.log"
  rpc variant role >>"$RUN/variants.jsonl" 2>>"$RUN/rpc.log"
}

# --- the runs -------------------------------------------------------------------------
for n in "${FLEETS[@]}"; do
  say "Fleet of $n host(s): starting containers, Pebble and sshd"
  start_hosts "$n"
  if [[ ! -s $RUN/list-tasks.txt ]]; then
    ansible-playbook -i "$RUN/inventory.yml" -e "@$RUN/secrets.yml" site.yml --list-tasks >"$RUN/list-tasks.txt"
  fi
  converge "$n" first "$n"
  converge "$n" noop "$n"
  # Two comparisons, each on one fleet size only to keep the bench short:
  # without pipelining on the smallest fleet, and the playbook's default
  # rolling batch of one host on the middle one.
  if [[ $PARTS == *" compare "* && $n == "${FLEETS[0]}" ]]; then
    converge "$n" noop-nopipelining "$n" ANSIBLE_PIPELINING=False
  fi
  if [[ $PARTS == *" compare "* ]] && ((${#FLEETS[@]} > 1)) && [[ $n == "${FLEETS[$((${#FLEETS[@]} / 2))]}" ]]; then
    converge "$n" noop-serial1 1
  fi
  if [[ $PARTS == *" rpc "* && $n == "${FLEETS[0]}" ]]; then
    rpc_bench
  fi
  say "Fleet of $n host(s): removing the containers"
  destroy
done

if [[ $PARTS != *" converge "* || $PARTS != *" compare "* || $PARTS != *" rpc "* ]]; then
  # A partial bench leaves docs/benchmarks.md as it is.
  python bench/report.py "$RUN" --convergence-only
  say "Done in $((SECONDS - start)) s (BENCH_PARTS:$PARTS; raw: $RUN)"
  exit 0
fi
say "Writing the report"
python bench/report.py "$RUN" --out "$OUT" --elapsed $((SECONDS - start))
say "Done in $((SECONDS - start)) s: $OUT/benchmarks.md, $OUT/benchmarks.json (raw: $RUN)"
