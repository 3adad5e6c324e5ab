#!/bin/sh
# Print a fingerprint of everything the roles may touch: installed packages,
# every file under /etc (mode, owner, checksum), Kubo's repo config and the
# services' state (a restart changes MainPID and the start timestamp).
# molecule/shared/prepare.yml saves it; check-changed-nothing.yml compares.
set -eu
echo "== packages"
dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n'
echo "== /etc"
# /etc/hosts, hostname and resolv.conf are podman's bind mounts.
find /etc -xdev \( -path /etc/hosts -o -path /etc/hostname -o -path /etc/resolv.conf \) -prune \
  -o -printf '%p %m %u:%g %y %l\n' | LC_ALL=C sort
find /etc -xdev \( -path /etc/hosts -o -path /etc/hostname -o -path /etc/resolv.conf \) -prune \
  -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
echo "== /var/lib/ipfs"
# Absent on the bare host of the site scenario, where the kubo role creates it.
if [ -d /var/lib/ipfs ]; then
  find /var/lib/ipfs -maxdepth 1 -printf '%p %m %u:%g %y\n' | LC_ALL=C sort
  sha256sum /var/lib/ipfs/config
else
  echo "/var/lib/ipfs absent"
fi
echo "== services"
for unit in ipfs.service pebble.service caddy.service; do
  systemctl show -p LoadState,ActiveState,SubState,UnitFileState,MainPID,ExecMainStartTimestampMonotonic,NRestarts "$unit" |
    sed "s/^/$unit /"
done
