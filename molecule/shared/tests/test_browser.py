"""CORS through the proxy, as a real browser sees it.

curl (test_rpc_access.py) shows which headers Caddy sends; only a browser
shows what a web app can do with them. Headless Chromium runs on the
controller and opens molecule/shared/files/browser-cors.html, served from
127.0.0.1, once from an allowed origin (app.test) and once from one that is
not listed (evil.test). The page POSTs to https://kubo.test/api/v0/id on the
instance, over TLS that Chromium verifies against Pebble's root, and writes
what it could read into its DOM.

Kubo's own 403 carries no CORS header; without the ones Caddy adds to every
/api/v0/ answer for a listed origin, a page could not tell a wrong password
from a network error.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import PEBBLE_ROOT, SHARED, auth_header, client

APP = "http://app.test:8787"     # listed in vars/test.yml
EVIL = "http://evil.test:8787"   # not listed
PAGE = SHARED / "files" / "browser-cors.html"
TIMEOUT = 60  # seconds, for any subprocess; a run takes a few


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture(scope="module")
def page_port(tmp_path_factory) -> Iterator[int]:
    """The page, alone in a directory, on 127.0.0.1 and a free port."""
    root = tmp_path_factory.mktemp("site")
    shutil.copy(PAGE, root / PAGE.name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_home(host, tmp_path_factory) -> Path:
    """A HOME whose NSS database trusts Pebble's root, and nothing else added."""
    home = tmp_path_factory.mktemp("home")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    root = home / "pebble-root.pem"
    root.write_text(host.file(PEBBLE_ROOT).content_string)
    for argv in (
        ["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"],
        ["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "pebble", "-t", "C,,", "-i", str(root)],
    ):
        subprocess.run(argv, check=True, capture_output=True, timeout=TIMEOUT)
    return home


@pytest.fixture(scope="module")
def instance_ip(host) -> str:
    """The instance's address on podman's network, which the controller reaches."""
    return host.run("hostname -I").stdout.split()[0]


def results_of_page(url: str, resolver_rules: str, home: Path, profile: Path) -> dict:
    """Load the page in headless Chromium; what it could read, by call."""
    argv = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        # No internet here: nothing but the page and the instance.
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
        f"--user-data-dir={profile}", f"--host-resolver-rules={resolver_rules}",
        # Virtual time stands still while a request is open.
        "--virtual-time-budget=20000",
        "--dump-dom", url,
    ]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False,
                         env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    found = re.search(r'<pre id="results">(.*?)</pre>', res.stdout, re.S)
    try:
        return json.loads(html.unescape(found.group(1)))
    except (AttributeError, ValueError):
        return pytest.fail(f"no results from {url} (chromium rc {res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}")


@pytest.fixture(scope="module")
def open_page(page_port, browser_home, instance_ip, tmp_path_factory) -> Callable[[str, dict[str, str]], dict]:
    # Both origins' port 8787 is the page's free port: parallel runs do not collide.
    rules = ", ".join([
        f"MAP app.test:8787 127.0.0.1:{page_port}",
        f"MAP evil.test:8787 127.0.0.1:{page_port}",
        f"MAP kubo.test {instance_ip}",
    ])

    def open_from(origin: str, calls: dict[str, str]) -> dict:
        """The page at origin makes each call (name: Authorization header) to /api/v0/id."""
        spec = json.dumps({"api": "https://kubo.test/api/v0/id", "calls": calls})
        url = f"{origin}/{PAGE.name}#{urllib.parse.quote(spec)}"
        return results_of_page(url, rules, browser_home, tmp_path_factory.mktemp("profile"))
    return open_from


@pytest.fixture(scope="module")
def allowed_page(open_page) -> dict:
    admin = client("admin")
    return open_page(APP, {
        "admin": auth_header(admin),
        "wrong_password": auth_header(dict(admin, password="not-the-admin-password")),
    })


@pytest.fixture(scope="module")
def other_page(open_page) -> dict:
    return open_page(EVIL, {"admin": auth_header(client("admin"))})


def test_a_page_on_an_allowed_origin_reads_the_peer_id(allowed_page, pristine_config):
    seen = allowed_page["admin"]
    assert seen.get("status") == 200, f"the page at {APP} saw {seen}"
    assert json.loads(seen["body"])["ID"] == pristine_config["Identity"]["PeerID"], f"the page at {APP} saw {seen}"


def test_a_page_on_an_allowed_origin_reads_kubos_denial_of_a_wrong_password(allowed_page):
    seen = allowed_page["wrong_password"]
    assert seen.get("status") == 403 and "Kubo RPC Access Denied" in seen.get("body", ""), (
        f"the page at {APP} should read Kubo's 403, it saw {seen}"
    )


def test_a_page_on_an_origin_that_is_not_listed_can_read_nothing(other_page):
    # A TLS or network failure is a TypeError too; the first test rules those out.
    seen = other_page["admin"]
    assert seen.get("error", "").startswith("TypeError"), f"the page at {EVIL} should be refused by CORS, it saw {seen}"
