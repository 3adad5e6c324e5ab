#!/usr/bin/env bash
# Run a command in a Debian 13 (trixie) container whose Python 3.13 serves as
# the Ansible controller. ansible-core 2.20 and newer need Python >= 3.12 and
# this machine (Debian 12) has 3.11; scripts/test-ansible-versions.sh runs
# 2.20's unit tests and `ansible-test sanity` this way.
#
#   scripts/controller-container.sh COMMAND [ARG...]
#   CONTROLLER_VENV=DIR scripts/controller-container.sh ...   DIR/bin first on PATH
#
# The image, localhost/secure-kubo-controller:trixie, is the Molecule test
# image localhost/secure-kubo-test:trixie (scripts/build-images.sh) plus what
# a controller's tests need and a Molecule target must not have (the roles
# install Caddy themselves): python3-venv (venv and ensurepip), git (the
# install tests, ansible-test's file list), Debian's caddy 2.6.2 (the unit
# tests' `caddy adapt`) and shellcheck (ansible-test sanity). It is made once
# from the test image with apt (about 10 s) and made again when the test
# image or the package list changes: a label holds their hash.
#
# The command runs as root in the checkout. The checkout, its git directory
# (a worktree's is elsewhere) and the cache are mounted at their own paths, so
# that a venv made in the container works in the next one. HOME is
# $CACHE/controller/home: pip's cache and ansible-test's sanity venvs stay
# there between runs. The host's CA bundle replaces the image's, so that pip
# reaches PyPI wherever the host does (behind a proxy with its own CA too).
set -euo pipefail
cd "$(dirname "$0")/.."
(($# > 0)) || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

BASE=${SECURE_KUBO_IMAGE:-localhost/secure-kubo-test}:trixie
IMAGE=localhost/secure-kubo-controller:trixie
PACKAGES=(python3-venv git caddy shellcheck)
CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
LABEL=io.github.secure-kubo.controller
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/tests/podman/containers.conf}

log() { printf 'controller-container: %s\n' "$*" >&2; }

mkdir -p "$CACHE/controller/home"
# The test image, built on a fresh machine (about 1 min), quiet when current.
out=$(scripts/build-images.sh trixie 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
[[ $out == *"is current"* ]] || printf '%s\n' "$out" >&2
want=$( (podman image inspect --format '{{.Id}}' "$BASE"; echo "${PACKAGES[*]}") | sha256sum | cut -c1-16)
(
  flock 9
  have=$(podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null || true)
  [[ $have == "$want" ]] && exit 0
  log "making $IMAGE from $BASE with ${PACKAGES[*]}"
  name=secure-kubo-controller-build-$$
  podman rm -f "$name" >/dev/null 2>&1 || true
  # /etc/pip.conf: pip trusts the system bundle (the host's, mounted below)
  # rather than its own copy of certifi's; ansible-test runs pip with a
  # cleaned environment, so PIP_CERT would not reach it.
  podman run --name "$name" -v "$CA_BUNDLE:$CA_BUNDLE:ro" "$BASE" sh -ec "
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${PACKAGES[*]} >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/*
    printf '[global]\ncert = $CA_BUNDLE\n' >/etc/pip.conf" >&2
  old=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
  podman commit --quiet --change "LABEL $LABEL=$want" "$name" "$IMAGE" >/dev/null
  podman rm "$name" >/dev/null
  [[ -z $old ]] || podman rmi "$old" >/dev/null 2>&1 || true
) 9>"$CACHE/controller/image.lock"

mounts=(-v "$PWD:$PWD" -v "$CACHE:$CACHE" -v "$CA_BUNDLE:$CA_BUNDLE:ro")
git_dir=$(git rev-parse --path-format=absolute --git-common-dir)
[[ $git_dir == "$PWD"/* ]] || mounts+=(-v "$git_dir:$git_dir")
# Only what is listed here reaches the command (no host PATH or venv).
exec podman run --rm "${mounts[@]}" -w "$PWD" \
  --env HOME="$CACHE/controller/home" \
  --env PATH="${CONTROLLER_VENV:+$CONTROLLER_VENV/bin:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --env LC_ALL=C.UTF-8 \
  --env SECURE_KUBO_CACHE="$CACHE" \
  ${CADDY_DNS_BINARY:+--env CADDY_DNS_BINARY="$CADDY_DNS_BINARY"} \
  --env PYTHONDONTWRITEBYTECODE=1 \
  --env GIT_CONFIG_COUNT=1 --env GIT_CONFIG_KEY_0=safe.directory --env GIT_CONFIG_VALUE_0='*' \
  "$IMAGE" "$@"
