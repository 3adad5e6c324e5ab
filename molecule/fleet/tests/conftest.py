"""Helpers of the fleet tests: the client container is `host`; the servers
are reached with podman too, and addressed by their IP from the client."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tests"))
# pylint: disable=wrong-import-position,unused-import
from kubo_checks import SHARED, ansible_playbook, auth_header, test_vars  # noqa: E402,F401

SERVERS = ("secure-kubo-fleet-a", "secure-kubo-fleet-b")
REPO = SHARED.parents[1]
CA_BUNDLE = "/root/fleet-roots.pem"


@pytest.fixture(scope="module")
def host():
    return testinfra.get_host("podman://secure-kubo-fleet-client")


@pytest.fixture(scope="module")
def servers() -> dict:
    return {name: testinfra.get_host(f"podman://{name}") for name in SERVERS}


@pytest.fixture(scope="module")
def ips(servers) -> dict[str, str]:
    """Each server's address on the podman network."""
    return {name: server.run("hostname -I").stdout.split()[0] for name, server in servers.items()}


def write_json(host, path: str, data) -> None:
    assert host.run(f"umask 077; printf %s {shlex.quote(json.dumps(data))} > {path}").rc == 0


def read_jsonl(host, path: str) -> list[dict]:
    return [json.loads(line) for line in host.file(path).content_string.splitlines() if line]


def curl_status(host, ip: str, path: str, *args: str, scheme: str = "https") -> str:
    """HTTP status of POST scheme://kubo.test<path>, kubo.test being ip."""
    port = 443 if scheme == "https" else 80
    argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--path-as-is",
            "--cacert", CA_BUNDLE, "--resolve", f"kubo.test:{port}:{ip}", "-X", "POST", *args,
            f"{scheme}://kubo.test{path}"]
    return host.run(" ".join(shlex.quote(a) for a in argv)).stdout


@pytest.fixture
def report(request):
    """Print a measurement in the test log, passed or not."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"MEASURED {line}")
    return write
