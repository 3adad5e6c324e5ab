# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the secure_kubo.rpc.caddy_certificates module against a local TLS server.

The server behaves as Caddy does: it completes the handshake for the names
it has a certificate for and aborts it for every other SNI name.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.secure_kubo.rpc.plugins.modules.caddy_certificates import main
from ansible_collections.secure_kubo.rpc.tests.unit.plugins.modules.module_runner import run_module


class TLSServer:
    """Serves a self-signed certificate on 127.0.0.1 for the names in ``names`` (changeable while it runs)."""

    def __init__(self, tmp_path: Path, names: set[str]) -> None:
        key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=test"],
                       check=True, capture_output=True)
        self.names = names
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.sni_callback = self._sni
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handshakes: list[str] = []
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _sni(self, conn, name, context):  # pylint: disable=unused-argument
        self.handshakes.append(name)
        if name not in self.names:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        return None

    def _serve(self) -> None:
        while not self.stopped:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self) -> None:
        self.stopped = True
        self.sock.close()


@pytest.fixture
def server(tmp_path):
    tls = TLSServer(tmp_path, {"kubo.example.com", "wildcard-probe.nodes.example.com"})
    yield tls
    tls.close()


def test_every_served_name_is_found_at_once(server, capsys):
    result, dummy = run_module(main, capsys, domains=["kubo.example.com", "*.nodes.example.com"],
                               port=server.port, timeout=30)
    assert result["missing"] == [] and result["served"] == ["kubo.example.com", "*.nodes.example.com"]
    assert result["changed"] is False and result["retried"] is False
    assert result["waited"] < 5
    assert "wildcard-probe.nodes.example.com" in server.handshakes, "a wildcard is tried with a name in its place"


def test_a_name_without_certificate_is_returned_as_missing_after_the_timeout(server, capsys):
    started = time.monotonic()
    result, dummy = run_module(main, capsys, domains=["kubo.example.com", "new.example.com"],
                               port=server.port, timeout=3, interval=0.5)
    took = time.monotonic() - started
    assert not result.get("failed"), result
    assert result["missing"] == ["new.example.com"] and result["served"] == ["kubo.example.com"]
    assert 3 <= took < 10, took
    assert server.handshakes.count("new.example.com") >= 4, "it kept trying the missing name"
    assert server.handshakes.count("kubo.example.com") == 1, "a served name is not tried again"


def test_a_name_that_gets_its_certificate_while_waiting_is_served(server, capsys):
    threading.Timer(1.0, lambda: server.names.add("new.example.com")).start()
    result, dummy = run_module(main, capsys, domains=["new.example.com"], port=server.port, timeout=20, interval=0.3)
    assert result["missing"] == [] and 1 <= result["waited"] < 10


def test_timeout_zero_tries_once(server, capsys):
    result, dummy = run_module(main, capsys, domains=["new.example.com"], port=server.port, timeout=0)
    assert result["missing"] == ["new.example.com"] and server.handshakes == ["new.example.com"]


def test_nothing_listening_counts_as_missing(capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result, dummy = run_module(main, capsys, domains=["kubo.example.com"], port=port, timeout=0)
    assert result["missing"] == ["kubo.example.com"]


def test_a_missing_name_runs_the_retry_command_once(server, tmp_path, capsys):
    marker = tmp_path / "retried"
    result, dummy = run_module(main, capsys, domains=["kubo.example.com", "new.example.com"], port=server.port,
                               timeout=1, interval=0.3, retry_command=["sh", "-c", f"echo x >> {marker}"])
    assert result["retried"] is True and result["changed"] is True
    assert marker.read_text() == "x\n"


def test_no_retry_when_every_name_is_served(server, tmp_path, capsys):
    marker = tmp_path / "retried"
    result, dummy = run_module(main, capsys, domains=["kubo.example.com"], port=server.port,
                               timeout=1, retry_command=["touch", str(marker)])
    assert result["retried"] is False and result["changed"] is False and not marker.exists()


def test_check_mode_looks_once_and_runs_nothing(server, tmp_path, capsys):
    marker = tmp_path / "retried"
    started = time.monotonic()
    result, dummy = run_module(main, capsys, check_mode=True, domains=["new.example.com"], port=server.port,
                               timeout=30, retry_command=["touch", str(marker)])
    assert time.monotonic() - started < 5, "check mode does not wait"
    assert result["missing"] == ["new.example.com"] and result["retried"] is True and result["changed"] is True
    assert not marker.exists()
    assert server.handshakes == ["new.example.com"]


def test_a_failing_retry_command_fails_the_module(server, capsys):
    result, dummy = run_module(main, capsys, domains=["new.example.com"], port=server.port, timeout=0,
                               retry_command=["sh", "-c", "echo 'Job for caddy.service failed' >&2; exit 1"])
    assert result["failed"] is True and "retry_command failed (exit 1): Job for caddy.service failed" in result["msg"]


def test_a_negative_timeout_is_refused(capsys):
    result, dummy = run_module(main, capsys, domains=["kubo.example.com"], timeout=-1)
    assert result["failed"] is True and "timeout: give 0 or more seconds" in result["msg"]


def test_errors_come_from_the_journal_only_when_a_name_is_missing(server, capsys):
    result, dummy = run_module(main, capsys, domains=["kubo.example.com"], port=server.port, timeout=0,
                               journal_unit="caddy")
    assert result["errors"] == []


def test_the_last_five_certificate_errors_of_the_unit_are_returned(server, tmp_path, monkeypatch, capsys):
    fake = tmp_path / "bin" / "journalctl"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\nfor i in 1 2 3 4 5 6 7; do echo "tls.obtain error $i"; done\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    result, dummy = run_module(main, capsys, domains=["new.example.com"], port=server.port, timeout=0,
                               journal_unit="caddy")
    assert result["errors"] == [f"tls.obtain error {i}" for i in range(3, 8)]
    assert (fake.parent / "args").read_text().split() == [
        "--unit", "caddy", "--since", "-10min", "--no-pager", "--output", "cat", "--grep", r"tls\.(obtain|issuance)"]
