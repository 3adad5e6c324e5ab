"""Fail closed: no run leaves Kubo's RPC API answering anonymous calls while Caddy publishes it.

Kubo turns its authorization off when API.Authorizations is empty. These
tests watch the live host from inside while the collection runs: a poller
calls the site without credentials ten times a second and records every
answer, so "never" means "not in one of these calls", not "not at the end".
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import ROOT, ansible_playbook, client, converge, curl, journal, rpc

POLLER = Path(__file__).with_name("anonymous_poller.py")
# What plugins/filter/caddyfile.py writes for caddy_tls_state: absent.
WITHDRAWN = (
    "# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten.\n"
    "# The Kubo RPC API is not published here (caddy_tls_state: absent).\n"
)


def playbook(host, name: str, extra_vars: dict):
    """A collection playbook (site.yml, verify.yml) against this instance only, as an operator runs it."""
    extra = {
        **extra_vars,
        "secure_kubo_hosts": host.backend.get_hostname(),
        "secure_kubo_install_kubo": False,  # installed by prepare.yml
        "ansible_become_method": "su",  # entered as root; the image has no sudo
        "secure_kubo_verify_delegate": host.backend.get_hostname(),
        "secure_kubo_verify_ca_path": "/root/pebble-root.pem",
    }
    return ansible_playbook(ROOT / "playbooks" / name, extra_vars=extra)


class Poller:
    """Anonymous calls through Caddy and straight to Kubo, recorded in the instance."""

    def __init__(self, host):
        self.host = host

    def __enter__(self):
        self.host.run("rm -f /root/poll.jsonl /root/poll.stop")
        script = POLLER.read_text()
        self.host.run("cat > /root/anonymous_poller.py <<'EOF'\n%s\nEOF" % script)
        assert self.host.run("systemd-run --unit anonymous-poller python3 /root/anonymous_poller.py").rc == 0
        time.sleep(2)
        return self

    def __exit__(self, *exc):
        self.host.run("touch /root/poll.stop; sleep 1; systemctl stop anonymous-poller")

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.host.file("/root/poll.jsonl").content_string.splitlines() if line]


def summary(records: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for r in records:
        key = f"{r['via']} {r['answer']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_revoking_every_client_never_publishes_an_open_api(host, test_vars, capsys):
    """The README's way: caddy_tls_state absent and the opt-in, with site.yml; then publish again."""
    revoke = {**test_vars, "caddy_tls_state": "absent", "kubo_api_auth_clients": [], "kubo_api_auth_allow_open_api": True}
    with Poller(host) as poller:
        started = time.monotonic()
        revoked = playbook(host, "site.yml", revoke)
        took = time.monotonic() - started
        assert revoked.returncode == 0, revoked.stdout[-4000:]
        checked = playbook(host, "verify.yml", revoke)
        assert checked.returncode == 0, checked.stdout[-4000:]
        assert "does not publish the RPC API (caddy_tls_state: absent)" in checked.stdout
        assert host.file("/etc/caddy/Caddyfile").content_string == WITHDRAWN
        republished = playbook(host, "site.yml", test_vars)
        assert republished.returncode == 0, republished.stdout[-4000:]
        time.sleep(2)
    records = poller.records()
    counts = summary(records)
    with capsys.disabled():  # the numbers the README quotes
        print(f"\nrevocation: site.yml took {took:.0f} s; anonymous calls during revoke and republish: {counts}")
    assert counts.get("direct 200"), f"Kubo never answered anonymously on loopback, so nothing was revoked: {counts}"
    assert not counts.get("proxy 200"), f"Caddy published an open API: {counts}"
    assert counts.get("proxy refused"), f"the site was never withdrawn: {counts}"
    assert records[-1]["via"] == "direct" and records[-2]["answer"] == 403, records[-4:]
    assert rpc(host, "/api/v0/id", client("admin")).status == 200, journal(host, "caddy")


OPEN_KUBO = (
    "set -e; export IPFS_PATH=/root/open-kubo; rm -rf $IPFS_PATH; "
    "/usr/local/bin/ipfs init --profile test >/dev/null; "
    "/usr/local/bin/ipfs config Addresses.API /ip4/127.0.0.1/tcp/5002; "
    "systemd-run --unit open-kubo --setenv IPFS_PATH=$IPFS_PATH /usr/local/bin/ipfs daemon; "
    "for i in $(seq 60); do curl -sf -X POST http://127.0.0.1:5002/api/v0/version && exit 0; sleep 1; done; exit 1"
)


@pytest.fixture
def open_kubo(host, baseline):
    """A second, real Kubo without API.Authorizations, on 127.0.0.1:5002."""
    assert host.run(OPEN_KUBO).rc == 0, journal(host, "open-kubo")
    yield "127.0.0.1:5002"
    host.run("systemctl stop open-kubo; rm -rf /root/open-kubo")


def test_caddy_never_publishes_a_kubo_that_answers_without_credentials(host, open_kubo):
    result = converge(host, {"caddy_tls_upstream": open_kubo})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "answered POST /api/v0/version without credentials" in output, output[-3000:]
    assert "the site published before was withdrawn" in output, output[-3000:]
    # Nothing answers on 443 any more, so no call reaches either Kubo.
    assert curl(host, "https://kubo.test/api/v0/id").status == 0
    assert host.file("/etc/caddy/Caddyfile").content_string == WITHDRAWN
    # The explicit opt-out publishes it, for an upstream guarded by something else.
    opted = converge(host, {"caddy_tls_upstream": open_kubo, "caddy_tls_allow_open_upstream": True})
    assert opted.returncode == 0, opted.stdout[-3000:]
    assert rpc(host, "/api/v0/id").status == 200, "caddy_tls_allow_open_upstream did not publish the open Kubo"
