"""Caddy's access log goes to the journal as JSON, and no secret gets logged."""

from __future__ import annotations

import json

import pytest
from conftest import client, ipfs_id, journal_entries, journal_leaks, rpc, secrets_of


@pytest.fixture(scope="module")
def traffic(host, test_vars):
    """One request of each kind, the guide's `ipfs id --api-auth` included."""
    for c in test_vars["kubo_api_auth_clients"]:
        rpc(host, "/api/v0/version", c)
        rpc(host, "/api/v0/config?arg=Identity.PeerID", c)
    rpc(host, "/api/v0/version")
    rpc(host, "/api/v0/version", dict(client("admin"), password="not-the-admin-password"))
    ipfs_id(host, client("admin"))


def test_caddys_access_log_is_json_in_the_journal(host, traffic):
    entries = []
    for e in journal_entries(host, "-u", "caddy"):
        try:
            msg = json.loads(e.get("MESSAGE", ""))
        except (TypeError, ValueError):
            continue
        if isinstance(msg, dict) and str(msg.get("logger", "")).startswith("http.log.access"):
            entries.append(msg)
    paths = [str(m.get("request", {}).get("uri", "")).split("?", maxsplit=1)[0] for m in entries]
    assert "/api/v0/version" in paths, f"no access log entry for /api/v0/version among {len(entries)}"


def test_no_client_secret_appears_anywhere_in_the_journal(host, traffic, test_vars):
    leaks = journal_leaks(host, secrets_of(test_vars["kubo_api_auth_clients"]))
    assert leaks == "", "secrets in the journal:" + leaks
