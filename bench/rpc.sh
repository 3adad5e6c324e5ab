#!/usr/bin/env bash
# Runs INSIDE a bench container (scripts/bench.sh copies it in as
# /root/bench/rpc.sh, with wrk-post.lua next to it). Every subcommand prints
# one JSON line on stdout; details (wrk's own report) go to stderr.
#
#   rpc.sh info                             versions, and the HTTP version the ipfs client uses via Caddy
#   rpc.sh small LABEL URL CONNS SECS WARM  wrk: POST URL with keep-alive, CONNS connections
#                                           (after a WARM s warm-up, none if 0)
#   rpc.sh bulk LABEL API MIB               `ipfs --api API add` of a fresh MIB MiB random file
#                                           (then unpinned and garbage-collected, untimed)
#   rpc.sh idle SECS                        CPU of Caddy, Kubo and journald with no requests
#   rpc.sh variant NAME                     switch Caddy to a variant: role, nolog, http, caddy-new
#
# Environment: BENCH_AUTH (Authorization header value), BENCH_API_AUTH
# (basic:USER:PASS for ipfs --api-auth), SSL_CERT_FILE (Pebble's root, for
# the ipfs client through Caddy). CPU seconds of Caddy, Kubo and journald
# during each measurement come from /proc/PID/stat.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LUA=$HERE/wrk-post.lua
TCK=$(getconf CLK_TCK)
CADDYFILE=/etc/caddy/Caddyfile
ROLE_COPY=/root/bench/Caddyfile.role
DROPIN=/etc/systemd/system/caddy.service.d/bench-binary.conf
NEW_CADDY=/usr/local/bin/caddy-bench  # a newer Caddy, copied in by scripts/bench.sh

ticks() { # ticks UNIT: user+system clock ticks of the unit's main process
  local pid
  pid=$(systemctl show -p MainPID --value "$1")
  if [[ $pid -gt 0 && -r /proc/$pid/stat ]]; then
    # Fields after the command name, which is in parentheses: utime is 14, stime 15.
    sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'
  else
    echo 0
  fi
}
cpu() { echo "$(ticks caddy) $(ticks ipfs) $(ticks systemd-journald)"; }
# The last line of `times`: user and system time of the shell's children, "0m1.5s 0m0.2s".
children_cpu() { tail -n 1 | awk '{s = 0; for (i = 1; i <= 2; i++) {split($i, a, /[ms]/); s += a[1] * 60 + a[2]}; printf "%.3f", s}'; }
secs() { awk -v t="$1" -v k="$TCK" 'BEGIN {printf "%.3f", t / k}'; }

info() {
  local proto
  ipfs --api /dns/kubo.test/tcp/443/https --api-auth "$BENCH_API_AUTH" id -f '<id>\n' >/dev/null
  proto=$(journalctl -u caddy -n 20 -o cat --no-pager | grep -o '"proto":"HTTP/[^"]*"' | tail -n 1 | cut -d'"' -f4 || true)
  printf '{"kind": "info", "caddy": "%s", "kubo": "%s", "wrk": "%s", "debian": "%s", "ipfs_client_proto": "%s", "nproc": %d}\n' \
    "$(caddy version | cut -d' ' -f1)" "$(ipfs version --number)" \
    "$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f2)" "$(cat /etc/debian_version)" "${proto:-unknown}" "$(nproc)"
}

small() {
  local label=$1 url=$2 conns=$3 seconds=$4 warm=$5 threads c0 k0 j0 c1 k1 j1 out json wrk_cpu
  threads=$((conns < $(nproc) ? conns : $(nproc)))
  if ((warm > 0)); then
    wrk -t"$threads" -c"$conns" -d"${warm}s" -s "$LUA" "$url" >/dev/null
  fi
  read -r c0 k0 j0 < <(cpu)
  # `times` in the subshell reports the CPU time of its children: wrk.
  out=$( (wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency -s "$LUA" "$url"; times) )
  read -r c1 k1 j1 < <(cpu)
  printf '%s\n' "$out" | grep -v '^BENCH_JSON' >&2
  json=$(printf '%s\n' "$out" | sed -n 's/^BENCH_JSON //p')
  wrk_cpu=$(printf '%s\n' "$out" | children_cpu)
  [[ -n $json ]] || { echo "wrk printed no result for $url" >&2; exit 1; }
  printf '{"kind": "small", "label": "%s", "url": "%s", "connections": %d, "threads": %d, "seconds": %d, "wrk": %s, "cpu_s": {"caddy": %s, "kubo": %s, "journald": %s, "wrk": %s}}\n' \
    "$label" "$url" "$conns" "$threads" "$seconds" "$json" \
    "$(secs $((c1 - c0)))" "$(secs $((k1 - k0)))" "$(secs $((j1 - j0)))" "$wrk_cpu"
}

bulk() {
  local label=$1 api=$2 mib=$3 file=/var/tmp/bench-add.bin c0 k0 j0 c1 k1 j1 t0 t1 out cid
  head -c $((mib * 1048576)) /dev/urandom >"$file"
  read -r c0 k0 j0 < <(cpu)
  t0=$(date +%s%N)
  out=$( (ipfs --api "$api" --api-auth "$BENCH_API_AUTH" add -Q "$file"; times) )
  t1=$(date +%s%N)
  read -r c1 k1 j1 < <(cpu)
  rm -f "$file"
  cid=$(printf '%s\n' "$out" | head -n 1)
  # Back to the repository's previous state, so that every upload finds the same.
  ipfs --api /ip4/127.0.0.1/tcp/5001 --api-auth "$BENCH_API_AUTH" pin rm "$cid" >/dev/null
  ipfs --api /ip4/127.0.0.1/tcp/5001 --api-auth "$BENCH_API_AUTH" repo gc >/dev/null
  printf '{"kind": "bulk", "label": "%s", "api": "%s", "bytes": %d, "seconds": %s, "cid": "%s", "cpu_s": {"caddy": %s, "kubo": %s, "journald": %s, "client": %s}}\n' \
    "$label" "$api" $((mib * 1048576)) "$(awk -v n=$((t1 - t0)) 'BEGIN {printf "%.3f", n / 1e9}')" \
    "$cid" \
    "$(secs $((c1 - c0)))" "$(secs $((k1 - k0)))" "$(secs $((j1 - j0)))" "$(printf '%s\n' "$out" | children_cpu)"
}

idle() { # idle SECS: CPU the daemons use with no requests (Kubo's background work)
  local c0 k0 j0 c1 k1 j1
  read -r c0 k0 j0 < <(cpu)
  sleep "$1"
  read -r c1 k1 j1 < <(cpu)
  printf '{"kind": "idle", "seconds": %d, "cpu_s": {"caddy": %s, "kubo": %s, "journald": %s}}\n' \
    "$1" "$(secs $((c1 - c0)))" "$(secs $((k1 - k0)))" "$(secs $((j1 - j0)))"
}

caddy_ready() { # wait until Caddy answers through TLS again

  for _ in $(seq 50); do
    curl -s -o /dev/null --cacert /etc/pebble/roots.pem -X POST https://kubo.test/api/v0/version && return 0
    sleep 0.2
  done
  echo "Caddy does not answer after switching to the variant" >&2
  return 1
}

# Variants of the role's Caddy set-up, for finding where the proxy's time
# goes. `role` puts back exactly what the role installed.
variant() {
  local name=$1 restart=false
  [[ -f $ROLE_COPY ]] || cp -p "$CADDYFILE" "$ROLE_COPY"
  if [[ -f $DROPIN ]]; then
    rm -f "$DROPIN"
    restart=true
  fi
  case $name in
    role) cp -p "$ROLE_COPY" "$CADDYFILE" ;;
    nolog | http)
      # The site's `log { ... }` block ends at the first line that is a single tab and "}".
      awk 'skip && /^\t}$/ {skip = 0; next} /^\tlog \{$/ {skip = 1} !skip' "$ROLE_COPY" >"$CADDYFILE"
      if [[ $name == http ]]; then
        # The same proxy without TLS (and without the log): Caddy's cost without encryption.
        printf '\nhttp://:8081 {\n\treverse_proxy 127.0.0.1:5001\n}\n' >>"$CADDYFILE"
      fi
      ;;
    caddy-new)
      cp -p "$ROLE_COPY" "$CADDYFILE"
      "$NEW_CADDY" validate --adapter caddyfile --config "$CADDYFILE" >/dev/null 2>&1 || {
        printf '{"kind": "variant", "name": "%s", "ok": false, "why": "the role'"'"'s Caddyfile does not validate with %s"}\n' \
          "$name" "$("$NEW_CADDY" version | cut -d' ' -f1)"
        return 0
      }
      mkdir -p "$(dirname "$DROPIN")"
      printf '[Service]\nExecStart=\nExecStart=%s run --environ --config %s\nExecReload=\nExecReload=%s reload --config %s --force\n' \
        "$NEW_CADDY" "$CADDYFILE" "$NEW_CADDY" "$CADDYFILE" >"$DROPIN"
      restart=true
      ;;
    *) echo "unknown variant $name" >&2; exit 2 ;;
  esac
  chgrp caddy "$CADDYFILE"
  if $restart; then
    systemctl daemon-reload
    systemctl restart caddy
  else
    systemctl reload caddy
  fi
  caddy_ready
  printf '{"kind": "variant", "name": "%s", "ok": true, "caddy": "%s"}\n' \
    "$name" "$(if [[ $name == caddy-new ]]; then "$NEW_CADDY" version; else caddy version; fi | cut -d' ' -f1)"
}

cmd=${1:?usage: rpc.sh info|small|bulk|idle|variant ...}
shift
case $cmd in
  info | small | bulk | idle | variant) "$cmd" "$@" ;;
  *) echo "unknown subcommand $cmd" >&2; exit 2 ;;
esac
