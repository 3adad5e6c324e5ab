#!/usr/bin/env bash
# The container-free RPC bench (`make bench-local`, or `BENCH_MODE=local
# make bench`): Kubo, Caddy and nginx as plain processes on this host's
# loopback, wrk as the client, each front measured in turn. No containers,
# no Ansible run: the role's Caddyfile comes from the caddyfile filter itself.
# Prints a Markdown report (bench/local.py) and keeps it with the raw results
# in ~/.cache/secure_kubo_rpc/bench/local-<date>/. Not part of `make test`.
#
#   scripts/bench-local.sh
#
# Binaries: Kubo from scripts/build-kubo.sh (cached), the current Caddy from
# scripts/build-caddy-dns.sh (cached; CADDY_BINARY to use another), the old
# Caddy the role installs from Debian by default (2.6.2; /usr/bin/caddy, or
# extracted from `apt-get download caddy`; CADDY_OLD_BINARY, empty: none),
# Debian's nginx, wrk and h2load (installed with apt when missing).
#
# Pinning: with 4 or more cores the client gets the last quarter of them
# (taskset) and Kubo and the fronts the rest, so that the client does not
# take the servers' CPU; with fewer, nothing is pinned (the report says so).
# BENCH_CLIENT_CPUS and BENCH_SERVER_CPUS (taskset lists) override this,
# e.g. BENCH_SERVER_CPUS=0,1 BENCH_CLIENT_CPUS=2 for the CI shape on a bigger
# machine.
#
# Environment (defaults in brackets): BENCH_SECONDS [5] per variant and round,
# BENCH_WARMUP [1], BENCH_ROUNDS [2], BENCH_CONNECTIONS [8],
# BENCH_CLIENT_THREADS [2], BENCH_LOCAL_VARIANTS [see bench/local.py],
# SECURE_KUBO_CACHE, KUBO_BINARY.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
RUN=$CACHE/bench/local-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$RUN"
chmod 0700 "$RUN"

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v taskset >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$RUN/setup.log" 2>&1
fi
KUBO=$(scripts/build-kubo.sh 2>>"$RUN/setup.log")
CADDY=${CADDY_BINARY:-$(scripts/build-caddy-dns.sh 2>>"$RUN/setup.log")}
if [[ -z ${CADDY_OLD_BINARY+x} ]]; then
  CADDY_OLD_BINARY=
  if [[ -x /usr/bin/caddy ]]; then
    CADDY_OLD_BINARY=/usr/bin/caddy
  else
    # Debian's package, unpacked only (installing it would start a service).
    (cd "$RUN" && apt-get download caddy >>setup.log 2>&1 && dpkg-deb -x caddy_*.deb caddy-deb) &&
      CADDY_OLD_BINARY=$RUN/caddy-deb/usr/bin/caddy || echo "no old Caddy: apt-get download caddy failed" >&2
  fi
fi

cpus=$(nproc)
if [[ -z ${BENCH_CLIENT_CPUS:-}${BENCH_SERVER_CPUS:-} ]] && ((cpus >= 4)); then
  client=$((cpus / 4))
  export BENCH_SERVER_CPUS=0-$((cpus - client - 1)) BENCH_CLIENT_CPUS=$((cpus - client))-$((cpus - 1))
fi

python=python3
[[ -x $ROOT/.venv/bin/python ]] && python=$ROOT/.venv/bin/python
"$python" bench/local.py --kubo "$KUBO" --caddy "$CADDY" --caddy-old "$CADDY_OLD_BINARY" --run "$RUN" |
  tee "$RUN/report.md"
echo "raw results: $RUN" >&2
