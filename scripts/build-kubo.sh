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
# Used only when no Go >= 1.21 is on PATH (Debian 12 ships 1.19, which cannot
# fetch newer toolchains itself): the toolchain comes from the Go module proxy
# as the golang.org/toolchain module, exactly as `GOTOOLCHAIN=auto` would.
GO_BOOTSTRAP_VERSION=${GO_BOOTSTRAP_VERSION:-1.26.4}

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

log() { printf 'build-kubo: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The ipfs client's `--api /dns/HOST/tcp/443/https` needs Kubo >= 0.34.
check_binary() {
  local bin=$1 out
  [[ -x $bin ]] || die "$bin is not an executable file"
  out=$("$bin" version 2>&1) || die "'$bin version' failed: $out"
  [[ $out =~ ^ipfs\ version\ ([0-9]+)\.([0-9]+)\. ]] ||
    die "'$bin version' printed '$out', not 'ipfs version X.Y.Z'"
  if ((BASH_REMATCH[1] == 0 && BASH_REMATCH[2] < 34)); then
    die "$bin is $out; the tests need Kubo >= 0.34.0"
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
go_minor() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'; }

GO=$(command -v go || true)
if [[ -z $GO ]]; then
  for d in /usr/local/go/bin /usr/lib/go/bin; do
    [[ -x $d/go ]] && GO=$d/go && break
  done
fi
if [[ -n $GO && $(go_minor "$GO") -ge 21 ]]; then
  # A Go that can switch toolchains: let it fetch what Kubo's go.mod asks for.
  export GOTOOLCHAIN=${GOTOOLCHAIN_OVERRIDE:-auto}
else
  arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
  case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
  tc="$CACHE/go/go$GO_BOOTSTRAP_VERSION"
  if [[ ! -x $tc/bin/go ]]; then
    if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
      log "installing curl, python3 and ca-certificates with apt-get"
      [[ -n ${SECURE_KUBO_APT_UPDATED:-} ]] || apt-get update -qq >&2
      apt-get install -y -qq curl python3 ca-certificates >&2
    fi
    mod="golang.org/toolchain@v0.0.1-go$GO_BOOTSTRAP_VERSION.linux-$arch"
    proxy=${GOPROXY:-https://proxy.golang.org}
    proxy=${proxy%%,*}
    log "fetching Go $GO_BOOTSTRAP_VERSION ($mod) from $proxy"
    tmp=$(mktemp -d)
    cleanup+=("$tmp")
    curl -fsSL -o "$tmp/tc.zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_BOOTSTRAP_VERSION.linux-$arch.zip"
    python3 -m zipfile -e "$tmp/tc.zip" "$tmp/x"
    chmod -R u+w,a+rX "$tmp/x"
    find "$tmp/x/$mod/bin" "$tmp/x/$mod/pkg/tool" -type f -exec chmod a+x {} +
    mkdir -p "$(dirname "$tc")"
    rm -rf "$tc"
    mv "$tmp/x/$mod" "$tc"
  fi
  GO=$tc/bin/go
  export GOTOOLCHAIN=local
fi
log "using $("$GO" version) (GOTOOLCHAIN=$GOTOOLCHAIN)"

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
