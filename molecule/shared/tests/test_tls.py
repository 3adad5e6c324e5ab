"""TLS on 443 with a certificate from Pebble, the ACME CA of the test."""

from __future__ import annotations

import re

from conftest import PEBBLE_ROOT, client, curl, ipfs_id, journal


def test_the_guides_ipfs_id_check_through_the_proxy_prints_the_peer_id(host, pristine_config):
    res = ipfs_id(host, client("admin"))
    assert res.rc == 0, res.stderr + journal(host, "caddy")
    assert res.stdout.strip() == pristine_config["Identity"]["PeerID"]


def test_the_certificate_on_443_is_issued_by_pebble_for_kubo_test(host):
    res = host.run(
        "openssl s_client -connect 127.0.0.1:443 -servername kubo.test -CAfile %s "
        "-verify_hostname kubo.test -verify_return_error </dev/null 2>/dev/null "
        "| openssl x509 -noout -issuer -ext subjectAltName",
        PEBBLE_ROOT,
    )
    assert res.rc == 0, res.stderr + journal(host, "caddy")
    issuer = res.stdout.splitlines()[0]
    assert "Pebble" in issuer, issuer
    assert "Caddy" not in issuer, issuer
    assert re.search(r"DNS:kubo\.test\b", res.stdout), res.stdout


def test_the_certificate_chain_verifies_against_pebbles_root_only(host):
    res = host.run(
        "openssl s_client -connect 127.0.0.1:443 -servername kubo.test -CAfile %s "
        "-no-CApath -no-CAstore -verify_return_error </dev/null 2>&1",
        PEBBLE_ROOT,
    )
    assert "Verify return code: 0 (ok)" in res.stdout, res.stdout[-2000:]


def test_port_80_redirects_to_https(host):
    r = curl(host, "http://kubo.test/api/v0/id")
    assert r.status in (301, 308), r
    assert r.headers.get("location") == "https://kubo.test/api/v0/id", r
