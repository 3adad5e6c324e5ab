#!/usr/bin/env bash
# Print the path of a Caddy binary with DNS provider modules compiled in (for
# the ACME DNS-01 challenge, caddy_tls_dns_provider), building it first if it
# is not cached yet. The Molecule `dns` scenario installs it with
# caddy_tls_install_method: binary; the unit tests `caddy adapt` with it.
#
#   scripts/build-caddy-dns.sh       -> .../caddy-dns/<recipe hash>/caddy on stdout
#   CADDY_DNS_BINARY=/path/to/caddy scripts/build-caddy-dns.sh   (check and use it)
#   SECURE_KUBO_CACHE=~/.cache/secure_kubo_rpc                    where it is cached
#
# What is built is scripts/caddy-dns/: a main package (Caddy's standard
# modules plus github.com/caddy-dns/rfc2136) whose go.mod pins Caddy v2.11.9
# and the plugins, and whose go.sum pins the hash of every module. `go build
# -mod=readonly` fetches them through the Go module proxy (GOPROXY) and checks
# each against go.sum; nothing is resolved anew. The result is keyed by a hash
# of the recipe (this script and scripts/caddy-dns/*), so it is rebuilt only
# when one of them changes. Everything but the path goes to stderr.
#
# Why not xcaddy: it writes its own go.mod and runs `go get` at every build,
# so the module hashes would be resolved at build time instead of pinned in
# the repository, and it is one more tool to fetch.
#
# To build in another provider (Cloudflare, Route 53 ...), see the comment in
# scripts/caddy-dns/main.go, and add its module to REQUIRED_MODULES below.
set -euo pipefail

# Modules that must be in the binary (caddy list-modules), checked after the build.
REQUIRED_MODULES=(dns.providers.rfc2136)
CADDY_VERSION=v2.11.9

# sum.golang.org has no record of github.com/caddy-dns/rfc2136 v1.0.0 as seen
# from here, so its hash cannot come from the checksum database. It is pinned
# here and in go.sum instead (the same h1: hash that other public projects'
# go.sum files record for v1.0.0, tag commit 75b8f57b937b). go.sum's entry
# makes the go command skip the checksum database for this module only; every
# other module in go.sum was checked against the database when it was added.
PINNED_MODULE=github.com/caddy-dns/rfc2136
PINNED_VERSION=v1.0.0
PINNED_SUM=h1:UIug15TcfTGJqC5V02oWiaPlGdwYR2/x4E+3pqXHnLc=

CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/caddy-dns
# shellcheck source=scripts/lib/go-toolchain.sh
source "$HERE/lib/go-toolchain.sh"

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

log() { printf 'build-caddy-dns: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

check_binary() { # PATH: a Caddy that runs and has every required module
  local bin=$1 version modules m
  [[ -x $bin ]] || die "$bin is not an executable file"
  version=$("$bin" version 2>&1) || die "'$bin version' failed: $version"
  [[ $version == v2.* ]] || die "'$bin version' printed '$version', not a Caddy 2 version"
  modules=$("$bin" list-modules 2>&1) || die "'$bin list-modules' failed: $modules"
  for m in "${REQUIRED_MODULES[@]}"; do
    grep -qxF "$m" <<<"$modules" || die "$bin ($version) has no module $m"
  done
  log "$bin: $version, with ${REQUIRED_MODULES[*]}"
}

if [[ -n ${CADDY_DNS_BINARY:-} ]]; then
  check_binary "$CADDY_DNS_BINARY"
  realpath "$CADDY_DNS_BINARY"
  exit 0
fi

recipe=$(cat "$0" "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-16)
out="$CACHE/caddy-dns/$recipe/caddy"
if [[ -x $out ]]; then
  check_binary "$out"
  echo "$out"
  exit 0
fi

# One build at a time (checkouts share the cache); the one that waited finds
# the result of the other.
mkdir -p "$CACHE/caddy-dns"
exec 9>"$CACHE/caddy-dns/.lock"
flock -w 900 9 || die "another build has held $CACHE/caddy-dns/.lock for 15 minutes"
if [[ -x $out ]]; then
  check_binary "$out"
  echo "$out"
  exit 0
fi

find_go
start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/caddy-dns-build.XXXXXX")
cleanup+=("$work")
cp "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" "$work/"
cd "$work"

# The pins in the committed files, then the pinned module as the proxy serves
# it, checked against the hash above before anything is compiled (go build
# checks every module against go.sum as well).
grep -qxF "$PINNED_MODULE $PINNED_VERSION $PINNED_SUM" go.sum ||
  die "scripts/caddy-dns/go.sum does not pin $PINNED_MODULE $PINNED_VERSION to $PINNED_SUM"
grep -qx "	github.com/caddyserver/caddy/v2 $CADDY_VERSION" go.mod ||
  die "scripts/caddy-dns/go.mod does not require Caddy $CADDY_VERSION"
sum=$("$GO" mod download -json "$PINNED_MODULE@$PINNED_VERSION" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Sum") or sys.exit(d.get("Error", "no Sum")))') ||
  die "could not fetch $PINNED_MODULE@$PINNED_VERSION through the Go module proxy"
[[ $sum == "$PINNED_SUM" ]] ||
  die "$PINNED_MODULE@$PINNED_VERSION has the hash $sum, but $PINNED_SUM is pinned: refusing to build"

log "building Caddy $CADDY_VERSION with ${REQUIRED_MODULES[*]} (takes a few minutes the first time)"
# -s -w: no symbol tables (half the size; the version and module list stay).
CGO_ENABLED=0 "$GO" build -mod=readonly -trimpath -buildvcs=false -ldflags="-s -w" -o "$work/caddy" . >&2
check_binary "$work/caddy"
mkdir -p "$(dirname "$out")"
mv "$work/caddy" "$out.tmp"
mv "$out.tmp" "$out"
log "built $out in $((SECONDS - start)) s"
echo "$out"
