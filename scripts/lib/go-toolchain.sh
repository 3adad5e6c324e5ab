# shellcheck shell=bash
# Sourced by scripts/build-kubo.sh and scripts/build-caddy-dns.sh: find a Go
# toolchain that can build current modules, fetching one through the Go module
# proxy when the host has none that is new enough.
#
#   find_go     sets GO (the go binary) and exports GOTOOLCHAIN
#
# The caller sets CACHE and defines log and die. GO_BOOTSTRAP_VERSION is the
# toolchain fetched when no Go >= 1.21 is on PATH (Debian 12 ships 1.19, which
# cannot fetch newer toolchains itself): it comes from the Go module proxy as
# the golang.org/toolchain module, exactly as `GOTOOLCHAIN=auto` would.
GO_BOOTSTRAP_VERSION=${GO_BOOTSTRAP_VERSION:-1.26.4}

go_minor() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'; }

find_go() {
  local d arch tc mod proxy tmp
  GO=$(command -v go || true)
  if [[ -z $GO ]]; then
    for d in /usr/local/go/bin /usr/lib/go/bin; do
      [[ -x $d/go ]] && GO=$d/go && break
    done
  fi
  if [[ -n $GO && $(go_minor "$GO") -ge 21 ]]; then
    # A Go that can switch toolchains: let it fetch what a go.mod asks for.
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
}
