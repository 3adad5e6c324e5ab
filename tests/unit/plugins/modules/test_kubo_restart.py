"""Unit tests for the kubo_restart module: its main() against a stand-in Kubo
(an HTTP server on 127.0.0.1) and restart, reset and log commands that are
small scripts recording how they were called."""

from __future__ import annotations

import json
import os
import socket
import stat
import time

import pytest

from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_config import api_target
from ansible_collections.secure_kubo.rpc.plugins.modules.kubo_restart import main


def warnings(result: dict) -> list[str]:
    """The module's warnings as text (ansible-core 2.19 returns them as structured summaries)."""
    return [w if isinstance(w, str) else w["event"]["msg"] for w in result.get("warnings", [])]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path, address: str, secret: str = "basic:ci:a-password-0123456789") -> str:
    path.write_text(json.dumps({"API": {"Authorizations": {"ci": {"AuthSecret": secret, "AllowedPaths": ["/api/v0"]}}},
                                "Addresses": {"API": address}, "Identity": {"PeerID": "x"}}, indent=2))
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def commands(tmp_path):
    """A fake `systemctl` (it records its arguments) and a log command."""
    calls = tmp_path / "calls"
    systemctl = tmp_path / "bin" / "systemctl"
    systemctl.parent.mkdir()
    systemctl.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexit "${{FAIL_RESTART:-0}}"\n')
    systemctl.chmod(0o755)

    def recorded() -> list[str]:
        return calls.read_text().splitlines() if calls.exists() else []

    return str(systemctl), recorded


def test_a_kubo_running_the_current_config_is_left_alone(run_module, tmp_path, fake_kubo, commands):
    systemctl, recorded = commands
    path = write_config(tmp_path / "config", fake_kubo.address)
    fake_kubo.started = time.time()  # started after the file was written
    result = run_module(main, {"path": path, "restart_command": [systemctl, "restart", "ipfs"]})
    assert not result["changed"] and not result["restarted"], result
    assert recorded() == []
    assert result["anonymous_status"] == 403
    assert ("GET", "/debug/metrics/prometheus") in fake_kubo.requests


def test_a_config_changed_now_restarts_kubo_and_waits_for_its_answer(run_module, tmp_path, fake_kubo, commands):
    systemctl, recorded = commands
    path = write_config(tmp_path / "config", fake_kubo.address)
    result = run_module(main, {"path": path, "restart": "always", "restart_command": [systemctl, "restart", "ipfs"]})
    assert result["changed"] and result["restarted"] and not result.get("failed"), result
    assert recorded() == ["restart ipfs"]
    assert result["url"] == f"http://127.0.0.1:{fake_kubo.port}"
    assert ("POST", "/api/v0/version") in fake_kubo.requests


def test_a_kubo_that_started_before_the_last_change_is_restarted(run_module, tmp_path, fake_kubo, commands):
    """A run cut short between writing the file and the restart."""
    systemctl, recorded = commands
    path = write_config(tmp_path / "config", fake_kubo.address)
    fake_kubo.started = os.stat(path).st_mtime - 10
    result = run_module(main, {"path": path, "restart_command": [systemctl, "restart", "ipfs"]})
    assert result["restarted"] and recorded() == ["restart ipfs"]
    assert result["reason"] == f"Kubo started before {path} last changed; restarting it."
    assert result["reason"] in warnings(result), "the operator is told why"


def test_a_start_within_the_clock_precision_is_not_stale(run_module, tmp_path, fake_kubo, commands):
    systemctl, recorded = commands
    path = write_config(tmp_path / "config", fake_kubo.address)
    fake_kubo.started = os.stat(path).st_mtime - 0.9
    assert not run_module(main, {"path": path, "restart_command": [systemctl, "restart", "ipfs"]})["restarted"]


def test_a_config_a_migration_rewrote_before_kubo_read_it_is_not_stale(run_module, tmp_path, fake_kubo, commands):
    # `--migrate` rewrites the config after the process started; Kubo writes
    # the `api` file next to it only once it has read the config and listens.
    systemctl, recorded = commands
    path = write_config(tmp_path / "config", fake_kubo.address)
    mtime = os.stat(path).st_mtime
    fake_kubo.started = mtime - 10
    api = tmp_path / "api"
    api.write_text(fake_kubo.address)
    os.utime(api, (mtime + 2, mtime + 2))
    assert not run_module(main, {"path": path, "restart_command": [systemctl, "restart", "ipfs"]})["restarted"]
    # An api file left by an earlier process does not count: a write after this start is stale.
    os.utime(api, (mtime - 60, mtime - 60))
    assert run_module(main, {"path": path, "restart_command": [systemctl, "restart", "ipfs"]})["restarted"]
    assert recorded() == ["restart ipfs"]


def test_a_kubo_without_a_start_time_is_not_restarted_but_warned_about(run_module, tmp_path, fake_kubo, commands):
    systemctl, recorded = commands
    fake_kubo.started = None
    path = write_config(tmp_path / "config", fake_kubo.address)
    result = run_module(main, {"path": path, "restart_command": [systemctl, "restart", "ipfs"]})
    assert not result["restarted"] and recorded() == []
    assert any("without process_start_time_seconds" in w for w in warnings(result))


def test_check_mode_says_it_would_restart_and_restarts_nothing(run_module, tmp_path, fake_kubo, commands):
    systemctl, recorded = commands
    path = write_config(tmp_path / "config", f"/ip4/127.0.0.1/tcp/{free_port()}")  # nothing answers
    result = run_module(main, {"path": path, "restart_command": [systemctl, "restart", "ipfs"]}, check_mode=True)
    assert result["changed"] and result["restarted"] and "does not answer" in result["reason"]
    assert recorded() == []


def test_check_mode_on_a_host_without_config_yet(run_module, tmp_path):
    result = run_module(main, {"path": str(tmp_path / "config")}, check_mode=True)
    assert not result["changed"] and "does not exist yet" in result["msg"]
    assert run_module(main, {"path": str(tmp_path / "config")})["failed"]


def test_restart_never_only_checks(run_module, tmp_path, fake_kubo, commands):
    systemctl, recorded = commands
    fake_kubo.started = 0.0
    path = write_config(tmp_path / "config", fake_kubo.address)
    result = run_module(main, {"path": path, "restart": "never", "restart_command": [systemctl, "restart", "ipfs"]})
    assert not result["restarted"] and recorded() == []
    assert ("GET", "/debug/metrics/prometheus") not in fake_kubo.requests


def test_a_kubo_that_answers_anonymous_calls_fails_the_run(run_module, tmp_path, fake_kubo):
    fake_kubo.status = 200
    fake_kubo.started = time.time()
    path = write_config(tmp_path / "config", fake_kubo.address)
    result = run_module(main, {"path": path})
    assert result["failed"] and result["anonymous_status"] == 200
    assert f"answers RPC calls without credentials at http://127.0.0.1:{fake_kubo.port}" in result["msg"]
    assert not run_module(main, {"path": path, "require_auth": False}).get("failed")


def test_a_config_kubo_rejects_is_rolled_back(run_module, tmp_path, fake_kubo, commands):
    """The new config names an address nothing answers on: the rejected file
    is kept (0600), the backup restored, the unit's failed state cleared,
    Kubo started again and found at the previous address; the run fails
    with Kubo's log."""
    systemctl, recorded = commands
    backup = write_config(tmp_path / "config.1.backup~", fake_kubo.address)
    path = write_config(tmp_path / "config", f"/ip4/127.0.0.1/tcp/{free_port()}", secret="basic:ci:the-new-password-0123")
    rejected_text = open(path).read()
    log = tmp_path / "log.sh"
    log.write_text("#!/bin/sh\necho 'Error: serveHTTPApi: address already in use'\n")
    log.chmod(0o755)
    started = time.monotonic()
    result = run_module(main, {"path": path, "restart": "always", "timeout": 2, "backup_file": backup,
                               "restart_command": [systemctl, "--user", "-M", "bob@", "restart", "ipfs"],
                               "logs_command": [str(log)]})
    assert time.monotonic() - started < 15, "the wait is not bounded by the timeout"
    msg = result["msg"]
    assert result["failed"]
    assert msg.startswith("Kubo did not start with the new config: its RPC API did not answer at http://127.0.0.1:")
    assert f"The previous config was restored from {backup} and Kubo is running again" in msg
    assert f"the rejected config is {path}.rejected" in msg
    assert "Kubo's log (" in msg and "address already in use" in msg
    assert recorded() == ["--user -M bob@ restart ipfs", "--user -M bob@ reset-failed ipfs", "--user -M bob@ restart ipfs"]
    assert open(path).read() == open(backup).read()
    assert open(path + ".rejected").read() == rejected_text
    assert stat.S_IMODE(os.stat(path + ".rejected").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "the-new-password-0123" not in json.dumps(result)


def test_a_failing_restart_command_without_backup_fails_with_its_error(run_module, tmp_path, fake_kubo, commands, monkeypatch):
    systemctl, recorded = commands
    monkeypatch.setenv("FAIL_RESTART", "3")
    path = write_config(tmp_path / "config", fake_kubo.address)
    text = open(path).read()
    result = run_module(main, {"path": path, "restart": "always", "restart_command": [systemctl, "restart", "ipfs"]})
    assert result["failed"]
    assert f"`{systemctl} restart ipfs` exited with 3" in result["msg"]
    assert "There is no backup of a previous config to restore" in result["msg"]
    assert "Set kubo_api_auth_logs_command" in result["msg"], "a restart command has no default log"
    assert recorded() == ["restart ipfs"] and open(path).read() == text
    assert not os.path.exists(path + ".rejected")


def test_a_missing_restart_command_is_reported_not_raised(run_module, tmp_path, fake_kubo):
    path = write_config(tmp_path / "config", fake_kubo.address)
    result = run_module(main, {"path": path, "restart": "always", "restart_command": [str(tmp_path / "no-such-command")]})
    assert result["failed"] and "exited with 127" in result["msg"]


@pytest.mark.parametrize("address, url, socket_path", [
    ("/ip4/127.0.0.1/tcp/5001", "http://127.0.0.1:5001", ""),
    ("/ip6/::1/tcp/5001", "http://[::1]:5001", ""),
    ("/dns4/localhost/tcp/5002", "http://localhost:5002", ""),
    ("/unix/run/kubo/api.sock", "http://localhost", "/run/kubo/api.sock"),
    (["/ip4/127.0.0.1/tcp/5003", "/unix/tmp/x.sock"], "http://127.0.0.1:5003", ""),
])
def test_the_rpc_address_becomes_a_url_in_python(address, url, socket_path):
    target = api_target(address)
    assert (target.url, target.unix_socket) == (url, socket_path)


def test_kubo_on_a_unix_socket_is_reached_through_it(run_module, tmp_path, commands):
    """The probe goes through the socket of a /unix/ address."""
    import threading
    from http.server import BaseHTTPRequestHandler
    from socketserver import ThreadingUnixStreamServer

    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.path)
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def address_string(self):
            return "unix"

        def log_message(self, *args):
            pass

    sock = str(tmp_path / "api.sock")
    server = ThreadingUnixStreamServer(sock, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        systemctl, recorded = commands
        path = write_config(tmp_path / "config", "/unix" + sock)
        result = run_module(main, {"path": path, "restart": "always", "restart_command": [systemctl, "restart", "ipfs"]})
        assert not result.get("failed"), result
        assert result["unix_socket"] == sock and seen and seen[0] == "/api/v0/version"
    finally:
        server.shutdown()
        server.server_close()
