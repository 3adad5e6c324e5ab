"""Helpers and fixtures of every scenario's verify step: requests made
inside an instance, journals, and running a playbook again.

molecule/shared/tests/conftest.py exposes them to the shared tests; the
other scenarios' conftests import them from here by path.

Every request goes from the instance to itself (kubo.test is 127.0.0.1
there), through Caddy on 443 with Pebble's root as the only trusted CA, or
straight to Kubo on 127.0.0.1:5001 for comparison.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import testinfra
import yaml

SHARED = Path(__file__).resolve().parent.parent
ROOT = SHARED.parents[1]  # the repository: playbooks/ of the collection
PEBBLE_ROOT = "/root/pebble-root.pem"
PEBBLE_LISTENER_CA = "/etc/pebble/test-ca.pem"
PRISTINE_CONFIG = "/root/kubo-config.before.json"
KUBO_CONFIG = "/var/lib/ipfs/config"
SITE = "https://kubo.test"


def load_test_vars() -> dict:
    """The variables the converge used (molecule/shared/vars/test.yml)."""
    return yaml.safe_load((SHARED / "vars" / "test.yml").read_text())


def client(name: str, clients: list[dict] | None = None) -> dict:
    for c in clients or load_test_vars()["kubo_api_auth_clients"]:
        if c["name"] == name:
            return c
    raise KeyError(name)


def auth_header(c: dict) -> str:
    """The Authorization header a client sends."""
    if "token" in c:
        return f"Bearer {c['token']}"
    pair = f"{c['username']}:{c['password']}".encode()
    return f"Basic {base64.b64encode(pair).decode()}"


def secrets_of(clients: list[dict]) -> set[str]:
    """Every form in which a client's secret could leak into a log."""
    out = set()
    for c in clients:
        if "token" in c:
            out.add(c["token"])
        else:
            out.add(c["password"])
            out.add(auth_header(c).split(" ", 1)[1])
    return out


def journal(host, unit: str, lines: int = 60) -> str:
    """The tail of a unit's journal, for failure messages."""
    out = host.run("journalctl -u %s -n %s --no-pager -o short-iso", unit, str(lines))
    return f"\n--- journalctl -u {unit} (last {lines} lines) ---\n{out.stdout}{out.stderr}"


def journal_entries(host, *args: str) -> list[dict]:
    out = host.run("journalctl -o json --no-pager " + " ".join(args)).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def journal_leaks(host, secrets: set[str]) -> str:
    """Journal lines that contain one of the secrets, with their unit; "" if none."""
    leaks = {
        (e.get("_SYSTEMD_UNIT") or e.get("SYSLOG_IDENTIFIER"), s): str(e.get("MESSAGE"))[:600]
        for e in journal_entries(host)
        for s in secrets
        if s in str(e.get("MESSAGE", ""))
    }
    return "".join(f"\n{unit} logged {secret!r}: {line}" for (unit, secret), line in leaks.items())


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    curl_rc: int
    curl_err: str

    def __str__(self) -> str:
        hdrs = "".join(f"\n  {k}: {v}" for k, v in self.headers.items())
        return f"HTTP {self.status} (curl rc {self.curl_rc} {self.curl_err.strip()}){hdrs}\n  {self.body[:300]!r}"


def curl(host, url: str, *args: str, method: str = "POST", timeout: int = 15, cacert: str = PEBBLE_ROOT) -> Response:
    """Run curl in the instance; Pebble's root (cacert) is the only CA trusted."""
    argv = [
        "curl", "-sS", "--max-time", str(timeout), "-X", method,
        "--cacert", cacert,
        "-D", "/tmp/verify-headers", "-o", "/tmp/verify-body",
        "-w", "%{http_code}", *args, url,
    ]
    cmd = " ".join(shlex.quote(a) for a in argv)
    res = host.run(
        f"rm -f /tmp/verify-headers /tmp/verify-body; {cmd}; rc=$?; echo; echo \"rc=$rc\"; "
        "echo '--- headers'; cat /tmp/verify-headers 2>/dev/null; "
        "echo '--- body'; head -c 4096 /tmp/verify-body 2>/dev/null"
    )
    code, rest = res.stdout.split("\n", 1)
    rc_line, rest = rest.split("\n", 1)
    head, body = rest.split("--- body", 1)
    body = body[1:] if body.startswith("\n") else body
    headers = {}
    for line in head.replace("--- headers\n", "", 1).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()  # the last response's win
    return Response(int(code or 0), headers, body, int(rc_line.split("=")[1]), res.stderr)


def rpc(host, path: str, c: dict | None = None, *args: str, **kw) -> Response:
    """POST an RPC call through Caddy, as client c (None: no credentials).

    Retries while Caddy cannot reach Kubo (502/503 while the daemon
    restarts after a converge), so that a denial is never a restart.
    """
    extra = list(args)
    if c is not None:
        extra += ["-H", f"Authorization: {auth_header(c)}"]
    deadline = time.monotonic() + 60
    while True:
        r = curl(host, SITE + path, *extra, **kw)
        if r.status not in (0, 502, 503) or time.monotonic() > deadline:
            return r
        time.sleep(1)


def caddy_version(host) -> str:
    """The version of the running Caddy, as its `caddy run --environ` logged it at start.

    Asked of the process, not of /usr/bin/caddy (which a diversion or an
    upgrade may have replaced since); root in the container may not read
    /proc/PID/exe of Caddy, which holds a capability root lacks.
    """
    pid = host.run("systemctl show -p MainPID --value caddy").stdout.strip()
    logged = host.run("journalctl -u caddy _PID=%s -o cat --no-pager | grep -m1 '^caddy.Version='", pid)
    return logged.stdout.strip().removeprefix("caddy.Version=")


def ipfs_id(host, c: dict):
    """The guide's check: `ipfs id` through the proxy, as client c.

    The only trusted root is Pebble's (SSL_CERT_FILE), no Kubo repo is used.
    """
    return host.run(
        "env -i PATH=/usr/bin:/bin HOME=/nonexistent SSL_CERT_FILE=%s "
        "/usr/local/bin/ipfs id --api /dns/kubo.test/tcp/443/https --api-auth %s -f '<id>'",
        PEBBLE_ROOT,
        f"basic:{c['username']}:{c['password']}",
    )


def _inventory_vars(testinfra_host) -> dict:
    backend = testinfra_host.backend
    if backend.NAME != "ansible":
        return {}
    return backend.ansible_runner.inventory["_meta"]["hostvars"].get(backend.host, {})


@pytest.fixture(scope="module")
def host(_testinfra_host):
    """The instance, reached with `podman exec` directly.

    testinfra's ansible backend has no native podman support and would run
    every command as an Ansible ad-hoc task: slow, and it strips output.
    """
    if _inventory_vars(_testinfra_host).get("ansible_connection") in ("podman", "containers.podman.podman"):
        return testinfra.get_host(f"podman://{_testinfra_host.backend.host}")
    return _testinfra_host


@pytest.fixture(scope="module")
def inventory_vars(_testinfra_host) -> dict:
    """The instance's variables in the scenario's inventory (molecule.yml), as written."""
    return _inventory_vars(_testinfra_host)


@pytest.fixture(scope="module")
def test_vars() -> dict:
    return load_test_vars()


@pytest.fixture(scope="module", autouse=True)
def pebble_root(host) -> str:
    """Fetch Pebble's current root (it changes at each Pebble start)."""
    res = host.run(
        "curl -sS --fail --cacert %s -o %s https://127.0.0.1:15000/roots/0",
        PEBBLE_LISTENER_CA, PEBBLE_ROOT,
    )
    assert res.rc == 0, res.stderr + journal(host, "pebble")
    return PEBBLE_ROOT


@pytest.fixture(scope="module")
def pristine_config(host) -> dict:
    return json.loads(host.file(PRISTINE_CONFIG).content_string)


@pytest.fixture(scope="module")
def kubo_config(host) -> dict:
    return json.loads(host.file(KUBO_CONFIG).content_string)


def ansible_playbook(playbook: Path, *args: str, extra_vars: dict | None = None) -> subprocess.CompletedProcess:
    """ansible-playbook against the scenario's inventory, as Molecule runs it.

    Extra variables go through a 0600 file, never the command line (they
    carry secrets and a process list is readable by every user).
    """
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or str(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory")
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:  # created 0600
        argv = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", inventory, *args]
        if extra_vars:
            json.dump(extra_vars, f)
            f.flush()
            argv += ["-e", f"@{f.name}"]
        return subprocess.run([*argv, str(playbook)], capture_output=True, text=True, check=False, timeout=900, env=env)


def converge(host, extra_vars: dict | None = None, *flags: str) -> subprocess.CompletedProcess:
    """The shared converge.yml again, on this instance only."""
    return ansible_playbook(SHARED / "converge.yml", "--limit", host.backend.get_hostname(), *flags, extra_vars=extra_vars)
