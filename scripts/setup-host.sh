#!/usr/bin/env bash
# Install the Debian packages the tests and the demo need (Debian 12/13).
# Does nothing when they are all present.
set -euo pipefail
packages=(
  python3-venv git make curl openssl ca-certificates
  caddy        # `caddy adapt`/`fmt` in unit tests: the version the containers run
  shellcheck   # ansible-test sanity
  podman runc uidmap slirp4netns fuse-overlayfs debootstrap  # test containers
  apt-utils gnupg  # scripts/build-caddy-repo.sh: apt-ftparchive and the signing key
  chromium libnss3-tools  # the browser test of CORS (molecule/shared/tests/test_browser.py)
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo
echo "setup-host: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
