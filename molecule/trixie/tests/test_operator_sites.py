"""A Caddy that already serves sites of the operator's (prepare.yml): with
caddy_tls_config_mode: site the roles add the Kubo site beside them, and
caddy_tls_state: absent takes it away again, leaving the operator's
Caddyfile byte for byte as it was and their sites answering as before."""

from __future__ import annotations

import json

import pytest
from conftest import client, converge, curl, journal, rpc

SITE_FILE = "/etc/caddy/kubo-rpc.caddy"
IMPORT = "import /etc/caddy/kubo-rpc.caddy\n"


def operator_sites(host) -> str:
    return host.run("sh /root/operator-sites.sh").stdout.rstrip("\n")


@pytest.fixture(scope="module")
def before(host) -> dict:
    return {
        "answers": host.file("/root/operator-sites.before").content_string.rstrip("\n"),
        "caddyfile": host.file("/root/operator.Caddyfile").content_string,
    }


def test_the_operators_sites_answer_exactly_as_before(host, before):
    now = operator_sites(host)
    assert now == before["answers"], f"before:\n{before['answers']}\nnow:\n{now}" + journal(host, "caddy", 20)


def test_the_operators_caddyfile_only_gained_one_import_line(host, before):
    assert host.file("/etc/caddy/Caddyfile").content_string == before["caddyfile"] + IMPORT


def test_the_kubo_site_carries_its_own_issuer(host):
    config = json.loads(host.run("curl -sf http://localhost:2019/config/").stdout)
    policies = {tuple(p.get("subjects", [])): p["issuers"] for p in config["apps"]["tls"]["automation"]["policies"]}
    assert [i["module"] for i in policies[("kubo.test",)]] == ["acme"], policies
    assert policies[("kubo.test",)][0]["ca"] == "https://127.0.0.1:14000/dir", policies
    assert [i["module"] for i in policies[("other.test",)]] == ["internal"], policies


def test_caddy_runs_from_the_roles_unit_for_a_binary_install(host):
    unit = host.file("/etc/systemd/system/caddy.service").content_string
    assert "caddy_tls_install_method: binary" in unit
    assert host.run("dpkg-query -W caddy").rc != 0, "no caddy package should be installed"


@pytest.fixture(scope="module")
def withdrawn(host):
    result = converge(host, {"caddy_tls_state": "absent"})
    assert result.returncode == 0, result.stdout[-4000:]
    yield result
    back = converge(host)
    assert back.returncode == 0, back.stdout[-4000:]
    assert rpc(host, "/api/v0/id", client("admin")).status == 200, journal(host, "caddy")


def test_withdrawing_the_site_restores_the_operators_caddyfile_byte_for_byte(host, before, withdrawn):
    assert host.file("/etc/caddy/Caddyfile").content_string == before["caddyfile"]
    assert not host.file(SITE_FILE).exists


def test_withdrawing_the_site_leaves_the_operators_sites_answering_as_before(host, before, withdrawn):
    now = operator_sites(host)
    assert now == before["answers"], f"before:\n{before['answers']}\nnow:\n{now}" + journal(host, "caddy", 20)


def test_a_withdrawn_site_no_longer_answers(host, withdrawn):
    r = curl(host, "https://kubo.test/api/v0/version")
    assert r.status == 0, r
