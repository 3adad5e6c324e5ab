"""Helpers for the fault tests: the shared verify helpers, plus converging
the instance again with other variables and reading its state."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tests"))
# pylint: disable=wrong-import-position,unused-import
from kubo_checks import (  # noqa: E402,F401
    ROOT, ansible_playbook, auth_header, client, converge, curl, host, journal, pebble_root, rpc, secrets_of, test_vars,
)


def state(host) -> dict:
    """What must not change when a run fails: files and running services."""
    def sha(path):
        return host.run(f"sha256sum {path}").stdout.split()[0]

    def pid(unit):
        return host.run(f"systemctl show -p MainPID --value {unit}").stdout.strip()

    return {"kubo_config": sha("/var/lib/ipfs/config"), "caddyfile": sha("/etc/caddy/Caddyfile"),
            "ipfs_pid": pid("ipfs"), "caddy_pid": pid("caddy")}


def all_secrets(host, clients: list[dict]) -> set[str]:
    """Client secrets in every form, plus the node's private key."""
    config = json.loads(host.file("/var/lib/ipfs/config").content_string)
    out = set(secrets_of(clients)) | {config["Identity"]["PrivKey"]}
    for c in clients:
        if "username" in c:
            out.add(base64.b64encode(f"{c['username']}:{c['password']}".encode()).decode())
    return out


@pytest.fixture
def baseline(host, test_vars):
    """Converged and serving before a test; converged back after it unless
    the files and services are exactly as before (a refused run)."""
    assert rpc(host, "/api/v0/id", client("admin")).status == 200
    before = state(host)
    yield before
    if state(host) != before:
        result = converge(host)
        assert result.returncode == 0, result.stdout[-4000:]
