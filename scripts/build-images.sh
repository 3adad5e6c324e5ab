#!/usr/bin/env bash
# Build the local systemd test images that the Molecule scenarios boot:
#   localhost/secure-kubo-test:bookworm   (Debian 12)
#   localhost/secure-kubo-test:trixie     (Debian 13)
#
#   scripts/build-images.sh [SUITE...]     default: bookworm trixie
#   FORCE=1 scripts/build-images.sh        rebuild even when current
#   DEBIAN_MIRROR=http://... scripts/build-images.sh
#
# No registry is reachable from CI, so each image is debootstrapped from the
# Debian mirror the host already uses and imported with `podman import`.
# An image carries a label with the hash of its recipe (suite, packages,
# recipe version); an image with the same label is current and not rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${SECURE_KUBO_IMAGE:-localhost/secure-kubo-test}
CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/tests/podman/containers.conf}
# What a systemd host needs for the roles and the tests, nothing else: curl
# and openssl are for the verify step and the Pebble certificate. Caddy is
# left out on purpose: the role installs it.
PACKAGES=(systemd systemd-sysv python3 ca-certificates iproute2 procps curl openssl)
# Installed when the suite has them: Let's Encrypt's test ACME server.
OPTIONAL_PACKAGES=(pebble)
# Bump when a build step below changes in a way that matters to the image.
RECIPE_VERSION=1
LABEL=io.github.secure-kubo.recipe

log() { printf 'build-images: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

(($# > 0)) && SUITES=("$@") || SUITES=(bookworm trixie)
[[ $(id -u) == 0 ]] || die "run as root (debootstrap and the rootful podman of the tests)"

# --- host tools (installed with apt-get on a fresh machine) -----------------
missing=()
for pair in debootstrap:debootstrap podman:podman runc:runc; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
[[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
if ((${#missing[@]})); then
  log "installing ${missing[*]} with apt-get"
  [[ -n ${SECURE_KUBO_APT_UPDATED:-} ]] || apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# --- the Debian mirror the host is configured with ---------------------------
# First URI of an enabled deb822 stanza or one-line entry that is not the
# security archive; DEBIAN_MIRROR overrides.
host_uri() { # $1 = 'main' or 'security'
  python3 - "$1" <<'PY'
import glob, re, sys
want = sys.argv[1]
files = sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
entries = []
for f in files:
    for stanza in re.split(r"\n\s*\n", open(f).read()):
        kv = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            kv[k.strip().lower()] = v.split()
        if kv.get("enabled", ["yes"])[0].lower() == "no" or "deb" not in kv.get("types", []):
            continue
        for uri in kv.get("uris", []):
            entries.append((uri, kv.get("suites", [])))
for f in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(f).read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
        if m:
            entries.append((m.group(1), [m.group(2)]))
for uri, suites in entries:
    sec = any(s.endswith("-security") or "/updates" in s for s in suites)
    if uri.startswith("http") and sec == (want == "security") and "debian" in uri:
        print(uri.rstrip("/"))
        break
PY
}
MIRROR=${DEBIAN_MIRROR:-$(host_uri main)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(host_uri security)}
SECURITY_MIRROR=${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
log "mirror $MIRROR, security $SECURITY_MIRROR"

# Remove a build root, first unmounting whatever debootstrap left mounted in
# it (proc, sys, dev) so that nothing outside the root is touched.
remove_root() {
  local m
  awk -v r="$1/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$1" "$1.log"
}

recipe_hash() { # $1 = suite
  printf '%s\n' "$1" "${PACKAGES[*]}" "${OPTIONAL_PACKAGES[*]}" "$RECIPE_VERSION" |
    sha256sum | cut -c1-16
}

build_one() {
  local suite=$1 tag=$IMAGE:$1 want have root start pkgs=() p
  want=$(recipe_hash "$suite")
  have=$(podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$tag" 2>/dev/null || true)
  if [[ $have == "$want" && -z ${FORCE:-} ]]; then
    log "$tag is current (recipe $want), not rebuilt"
    return 0
  fi
  start=$SECONDS
  root=$(mktemp -d /var/tmp/secure-kubo-rootfs.XXXXXX)
  chmod 0755 "$root" # apt in the chroot downloads as user _apt
  # shellcheck disable=SC2064
  trap "remove_root '$root'" EXIT
  mkdir -p "$CACHE/debootstrap/$suite"
  log "debootstrap $suite into $root"
  debootstrap --variant=minbase --components=main \
    --cache-dir="$CACHE/debootstrap/$suite" \
    --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    "$suite" "$root" "$MIRROR" >"$root.log" 2>&1 || {
      tail -n 30 "$root.log" >&2; die "debootstrap $suite failed"; }
  rm -f "$root.log"

  # APT sources as on a normal host: the release, its updates, security.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" apt-get update -qq >"$root.log" 2>&1 || {
    cat "$root.log" >&2; die "apt-get update in the $suite root failed"; }
  for p in "${OPTIONAL_PACKAGES[@]}"; do
    if chroot "$root" apt-cache show "$p" >/dev/null 2>&1; then
      pkgs+=("$p")
    else
      log "$suite has no package $p: left out"
    fi
  done
  if ((${#pkgs[@]})); then
    chroot "$root" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >"$root.log" 2>&1 || {
        cat "$root.log" >&2; die "installing ${pkgs[*]} into $suite failed"; }
  fi
  chroot "$root" apt-get clean
  # Lists are fetched again by the test's prepare step, as on a real host.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  # Per-container identity: systemd creates a machine-id at boot, podman
  # provides /etc/hostname, /etc/hosts and /etc/resolv.conf.
  : >"$root/etc/machine-id"
  : >"$root/etc/resolv.conf"
  rm -f "$root/var/lib/dbus/machine-id"

  log "importing $tag"
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  tar --numeric-owner -C "$root" -c . |
    podman import --quiet \
      --change 'CMD ["/sbin/init"]' \
      --change "LABEL $LABEL=$want" \
      --change "LABEL io.github.secure-kubo.packages=$(IFS=,; echo "${PACKAGES[*]}${pkgs[*]:+,${pkgs[*]}}")" \
      - "$tag" >/dev/null
  remove_root "$root"
  trap - EXIT
  log "built $tag in $((SECONDS - start)) s ($(podman image inspect --format '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1e6}'))"
}

total=$SECONDS
for s in "${SUITES[@]}"; do
  build_one "$s"
done
log "images ready in $((SECONDS - total)) s"
