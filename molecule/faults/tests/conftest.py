"""Helpers for the fault tests: the shared verify helpers, plus converging
the instance again with other variables and reading its state."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
_spec = importlib.util.spec_from_file_location("shared_conftest", _SHARED_DIR / "tests" / "conftest.py")
shared = importlib.util.module_from_spec(_spec)
sys.modules["shared_conftest"] = shared  # dataclasses look their module up there
_spec.loader.exec_module(shared)

host = shared.host
test_vars = shared.test_vars
pebble_root = shared.pebble_root
client, rpc, curl, journal, secrets_of = shared.client, shared.rpc, shared.curl, shared.journal, shared.secrets_of
CONVERGE = _SHARED_DIR / "converge.yml"


def converge(host, extra_vars: dict | None = None, *flags: str) -> subprocess.CompletedProcess:
    """ansible-playbook converge.yml against this instance, as Molecule runs it."""
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or str(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory")
    argv = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", inventory,
            "--limit", host.backend.get_hostname(), *flags, str(CONVERGE)]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600, env=env)


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
    """Converged and serving before a test; converged back after it."""
    assert rpc(host, "/api/v0/id", client("admin")).status == 200
    yield state(host)
    result = converge(host)
    assert result.returncode == 0, result.stdout[-4000:]
