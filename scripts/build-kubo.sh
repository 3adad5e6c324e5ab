#!/usr/bin/env bash
# Print the path of a Kubo (ipfs) binary for the container tests, building it
# first if it is not cached yet.
#
#   scripts/build-kubo.sh                 -> .../kubo/v0.42.0/ipfs on stdout
#   KUBO_BINARY=/path/to/ipfs scripts/build-kubo.sh   (use that binary, no build)
#   KUBO_VERSION=v0.42.0 SECURE_KUBO_CACHE=~/.cache/secure_kubo_rpc
#
# Kubo is neither in Debian nor on PyPI, and `go install .../cmd/ipfs@vX`
# refuses Kubo's go.mod (replace/exclude directives). So the module source is
# fetched through the Go module proxy and built in a scratch copy. The result
# is cached outside the repository. Everything but the path goes to stderr.
set -euo pipefail

KUBO_VERSION=${KUBO_VERSION:-v0.42.0}
CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
# The Go toolchain: scripts/lib/go-toolchain.sh (GO_BOOTSTRAP_VERSION).
# shellcheck source=scripts/lib/go-toolchain.sh
source "$(dirname "$0")/lib/go-toolchain.sh"

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

log() { printf 'build-kubo: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The ipfs client's `--api /dns/HOST/tcp/443/https` needs Kubo >= 0.34; a
# node only needs RPC authorization, Kubo >= 0.25 (KUBO_NODE_ONLY=1).
if [[ -n ${KUBO_NODE_ONLY:-} ]]; then min_minor=25; else min_minor=34; fi
check_binary() {
  local bin=$1 out
  [[ -x $bin ]] || die "$bin is not an executable file"
  out=$("$bin" version 2>&1) || die "'$bin version' failed: $out"
  [[ $out =~ ^ipfs\ version\ ([0-9]+)\.([0-9]+)\. ]] ||
    die "'$bin version' printed '$out', not 'ipfs version X.Y.Z'"
  if ((BASH_REMATCH[1] == 0 && BASH_REMATCH[2] < min_minor)); then
    die "$bin is $out; the tests need Kubo >= 0.$min_minor.0"
  fi
  log "$bin: $out"
}

if [[ -n ${KUBO_BINARY:-} ]]; then
  check_binary "$KUBO_BINARY"
  realpath "$KUBO_BINARY"
  exit 0
fi

out="$CACHE/kubo/$KUBO_VERSION/ipfs"
if [[ -x $out ]]; then
  check_binary "$out"
  echo "$out"
  exit 0
fi

# --- a Go toolchain ----------------------------------------------------------
find_go

# --- build -------------------------------------------------------------------
start=$SECONDS
dir=$("$GO" mod download -json "github.com/ipfs/kubo@$KUBO_VERSION" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error","no Dir")))')
work=$(mktemp -d "${TMPDIR:-/tmp}/kubo-build.XXXXXX")
cleanup+=("$work")
cp -r "$dir/." "$work/src"
chmod -R u+w "$work/src"
log "building Kubo $KUBO_VERSION in $work/src (takes a few minutes)"
mkdir -p "$(dirname "$out")"
(cd "$work/src" && CGO_ENABLED=0 "$GO" build -trimpath -buildvcs=false -o "$work/ipfs" ./cmd/ipfs) >&2
check_binary "$work/ipfs"
mv "$work/ipfs" "$out"
log "built $out in $((SECONDS - start)) s"
echo "$out"
