# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the caddy_host_info module: a Caddy binary, dpkg-query and
systemctl that are small scripts on PATH, Caddyfiles in tmp_path, and an HTTP
server on 127.0.0.1 that answers as Kubo does (403 without credentials)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.secure_kubo.rpc.plugins.modules.caddy_host_info import main
from ansible_collections.secure_kubo.rpc.tests.unit.plugins.modules.module_runner import run_module

MARKER = "# Managed by secure_kubo.rpc.caddy_tls;"
STOCK = ":80 { root * /usr/share/caddy file_server }"
STOCK_FILE = """# The Caddyfile is an easy way to configure your Caddy web server.
#
:80 {
\t# Set this path to your site's directory.
\troot * /usr/share/caddy

\t# Enable the static file server.
\tfile_server
}
"""


def script(path, text: str) -> str:
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)
    return str(path)


class Kubo(BaseHTTPRequestHandler):
    status = 403

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Kubo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def host(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script(bindir / "systemctl", 'printf "ActiveState=active\\nUnitFileState=enabled\\nInvocationID=0123abcd\\n"\n')
    script(bindir / "dpkg-query", 'printf "ii "\n')
    script(bindir / "apt-cache", 'echo "caddy:"; echo " 500 https://dl.cloudsmith.io/public/caddy/stable/deb/debian any-version/main amd64 Packages"\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    applied = tmp_path / "caddy.applied"
    applied.write_text("loaded")
    return {"binary": script(bindir / "caddy", 'echo "v2.11.9 h1:abc"\n'), "package": "caddy", "service": "caddy",
            "config_path": str(tmp_path / "Caddyfile"), "marker": MARKER, "stock": STOCK,
            "legacy_applied_path": str(tmp_path / "Caddyfile.applied"),
            "files": [str(applied), str(tmp_path / "dns.env")], "checksum_files": [str(applied)]}


def test_a_host_where_all_is_in_place(host, upstream, capsys, tmp_path):
    (tmp_path / "Caddyfile").write_text(MARKER + " do not edit\nkubo.test {\n}\n")
    result, out = run_module(main, capsys, upstream_url=upstream, **host)
    assert result["changed"] is False
    assert result["caddy"]["rc"] == 0 and result["caddy"]["stdout"].startswith("v2.11.9")
    assert result["package_installed"] and result["service_active"] and result["service_enabled"]
    assert result["invocation_id"] == "0123abcd"
    assert result["apt_policy"] == ""  # not asked
    assert result["caddyfile_exists"] and not result["caddyfile_foreign"]
    assert result["upstream_status"] == 403 and result["upstream_error"] == ""
    applied = str(tmp_path / "caddy.applied")
    assert result["files"][applied]["checksum"] == hashlib.sha1(b"loaded").hexdigest()
    assert result["files"][str(tmp_path / "dns.env")] == {"exists": False}
    # The Caddyfile's content never comes back.
    assert "kubo.test" not in out


@pytest.mark.parametrize("text, foreign", [
    (STOCK_FILE, False),
    ("", False),
    ("# only a comment\n\n", False),
    (MARKER + "\n", False),
    ("example.com {\n\trespond hi\n}\n", True),
    # the marker must come first
    ("example.com {\n}\n" + MARKER + "\n", True),
    (STOCK_FILE + "\nexample.com {\n}\n", True),
])
def test_whose_the_caddyfile_is(host, capsys, tmp_path, text, foreign):
    (tmp_path / "Caddyfile").write_text(text)
    result = run_module(main, capsys, **host)[0]
    assert result["caddyfile_foreign"] is foreign


def test_the_first_releases_caddyfile_is_recognised_by_its_copy(host, capsys, tmp_path):
    text = "kubo.test {\n\treverse_proxy 127.0.0.1:5001\n}\n"
    (tmp_path / "Caddyfile").write_text(text)
    (tmp_path / "Caddyfile.applied").write_text(text)
    assert run_module(main, capsys, **host)[0]["caddyfile_foreign"] is False
    (tmp_path / "Caddyfile.applied").write_text(text + "# older\n")
    assert run_module(main, capsys, **host)[0]["caddyfile_foreign"] is True


def test_a_new_host(host, capsys, tmp_path):
    script(tmp_path / "bin" / "dpkg-query", 'echo "dpkg-query: no packages found matching caddy" >&2; exit 1\n')
    script(tmp_path / "bin" / "systemctl", 'printf "ActiveState=inactive\\nUnitFileState=\\n"\n')
    host["binary"] = str(tmp_path / "no-caddy")
    result = run_module(main, capsys, **host)[0]
    assert result["caddy"]["rc"] == 127 and result["caddy"]["msg"]
    assert not result["package_installed"] and not result["service_active"] and not result["service_enabled"]
    assert not result["caddyfile_exists"] and not result["caddyfile_foreign"]
    assert result["upstream_status"] is None


def test_a_package_removed_but_not_purged_is_not_installed(host, capsys, tmp_path):
    script(tmp_path / "bin" / "dpkg-query", 'printf "rc "\n')
    assert run_module(main, capsys, **host)[0]["package_installed"] is False


def test_an_open_upstream_answers_200(host, upstream, capsys, monkeypatch):
    monkeypatch.setattr(Kubo, "status", 200)
    result = run_module(main, capsys, upstream_url=upstream, **host)[0]
    assert result["upstream_status"] == 200


def test_another_server_is_reported_at_once(host, upstream, capsys, monkeypatch):
    monkeypatch.setattr(Kubo, "status", 404)
    result = run_module(main, capsys, upstream_url=upstream, upstream_wait=30, **host)[0]
    assert result["upstream_status"] == 404


def test_no_upstream_is_waited_for_then_reported(host, capsys):
    result = run_module(main, capsys, upstream_url="http://127.0.0.1:9", upstream_wait=1, **host)[0]
    assert result["upstream_status"] == -1 and result["upstream_error"]


def test_check_mode_asks_once_without_waiting(host, capsys):
    start = time.monotonic()
    result = run_module(main, capsys, check_mode=True, upstream_url="http://127.0.0.1:9", upstream_wait=30, **host)[0]
    assert result["upstream_status"] == -1 and time.monotonic() - start < 10


def test_an_unreadable_caddyfile_fails(host, capsys, tmp_path):
    (tmp_path / "Caddyfile").mkdir()
    result = run_module(main, capsys, **host)[0]
    assert result["failed"] and "cannot be read" in result["msg"]


def test_apt_policy_when_asked(host, capsys):
    result = run_module(main, capsys, apt_policy=True, **host)[0]
    assert " any-version/main " in result["apt_policy"]
