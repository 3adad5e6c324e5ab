# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property test: every valid set of settings renders a Caddyfile that both
Caddy binaries accept without warnings and that `caddy fmt` leaves alone."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.secure_kubo.rpc.plugins.filter.caddyfile import render_caddyfile

HASH = "$2a$14$QAULm/b88x1/JSp4aGXTi.pm.xCLFptT5Jffqu42Na3.QnnCkTMLy"
CADDY_BINARIES = [Path("/usr/bin/caddy"), Path(sys.executable).parent / "caddy"]

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
unicode_label = st.sampled_from(["bücher", "münchen", "例え", "kubo"])
domain = st.builds(
    lambda wildcard, labels, tld: ("*." if wildcard else "") + ".".join(labels) + "." + tld,
    st.booleans(), st.lists(st.one_of(label, unicode_label), min_size=1, max_size=3),
    st.sampled_from(["com", "example", "test", "xn--p1ai"]),
)
domains = st.lists(domain, min_size=1, max_size=3, unique_by=lambda name: name.encode("idna").lower())
port = st.integers(min_value=1, max_value=65535)
loopback = st.one_of(
    st.builds(lambda p: f"127.0.0.1:{p}", port),
    st.builds(lambda p: f"localhost:{p}", port),
    st.builds(lambda p: f"[::1]:{p}", port),
    st.just("unix//run/ipfs/api.sock"),
)
origin = st.builds(
    lambda scheme, host, p: f"{scheme}://{host}" + (f":{p}" if p else ""),
    st.sampled_from(["http", "https"]), st.sampled_from(["app.example.com", "localhost", "127.0.0.1"]),
    st.one_of(st.none(), st.integers(min_value=1024, max_value=65535)),
)
# user names: any visible character but braces and backslashes (quotes and ASCII space included)
username = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"),
        blacklist_characters="{}\\",
        whitelist_characters=" ",
    ),
    min_size=1, max_size=12,
)
log = st.one_of(
    st.fixed_dictionaries({"log_output": st.sampled_from(["stdout", "stderr"])}),
    st.fixed_dictionaries({
        "log_output": st.just("file"),
        "log_file": st.sampled_from(["/var/log/caddy/a.log", "/tmp/kubo rpc/access.log"]),
        "log_roll_size": st.sampled_from(["1MiB", "100MiB", "5MB", "1GiB"]),
        "log_roll_keep": st.integers(min_value=0, max_value=50),
    }),
)
tls = st.one_of(
    st.fixed_dictionaries({"mode": st.just("internal")}),
    st.fixed_dictionaries({
        "mode": st.just("acme"),
        "email": st.sampled_from(["", "admin@example.com", "o'neil+kubo@bücher.example"]),
        "acme_ca": st.sampled_from(["", "https://127.0.0.1:14000/dir",
                                    "https://acme-staging-v02.api.letsencrypt.org/directory"]),
    }),
)


def _combine(base: dict, log_part: dict, tls_part: dict) -> dict:
    """Without DNS-01 only Caddy's internal CA gets a wildcard certificate; for
    ACME the wildcard label becomes one the label strategy never draws."""
    if tls_part["mode"] != "internal":
        base = dict(base, domains=["wild-card-x." + name[2:] if name.startswith("*.") else name for name in base["domains"]])
    return {**base, **log_part, **tls_part}


SETTINGS = st.builds(
    _combine,
    st.fixed_dictionaries({
        "domains": domains,
        "upstream": loopback,
        "cors_origins": st.lists(origin, max_size=3, unique=True),
        "hsts": st.sampled_from(["", "max-age=31536000", "max-age=600; includeSubDomains; preload"]),
        "log_level": st.sampled_from(["DEBUG", "INFO", "WARN", "ERROR"]),
        "http_port": st.sampled_from([80, 8080]),
        "https_port": st.sampled_from([443, 8443]),
        "basic_auth_users": st.lists(
            st.builds(lambda name: {"username": name, "password_hash": HASH}, username),
            max_size=2, unique_by=lambda user: user["username"],
        ),
        "extra_directives": st.sampled_from([[], ["encode gzip"], ["request_body {", "max_size 1MB", "}"]]),
    }),
    log, tls,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SETTINGS)
def test_valid_settings_give_a_caddyfile_caddy_accepts(config):
    for binary in CADDY_BINARIES:
        assert binary.is_file(), f"{binary} is missing: the test set-up must provide it"
        version = subprocess.run([str(binary), "version"], capture_output=True, text=True, check=True).stdout
        text = render_caddyfile({**config, "caddy_version": version})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "Caddyfile"
            path.write_text(text, encoding="utf-8")
            adapted = subprocess.run(
                [str(binary), "adapt", "--adapter", "caddyfile", "--config", str(path)],
                capture_output=True, text=True, check=False,
            )
            assert adapted.returncode == 0, (binary, text, adapted.stderr)
            assert "warn" not in adapted.stderr.lower(), (binary, text, adapted.stderr)
            formatted = subprocess.run([str(binary), "fmt", str(path)], capture_output=True, text=True, check=True)
            assert formatted.stdout == text, binary
