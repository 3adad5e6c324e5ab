"""Helpers for the DNS-01 tests: the shared verify helpers, the scenario's
DNS settings, and converging it again with other variables."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared" / "tests"))
# pylint: disable=wrong-import-position,unused-import
from kubo_checks import (  # noqa: E402,F401
    ansible_playbook, auth_header, client, curl, host, journal, journal_leaks, pebble_root, rpc, secrets_of, test_vars,
)


@pytest.fixture(scope="module")
def dns_vars() -> dict:
    """The scenario's DNS-01 settings (vars/dns.yml)."""
    return yaml.safe_load((SCENARIO / "vars" / "dns.yml").read_text())


def converge(host, extra_vars: dict | None = None, *flags: str):
    """The scenario's converge.yml again, on this instance only."""
    return ansible_playbook(SCENARIO / "converge.yml", "--limit", host.backend.get_hostname(), *flags,
                            extra_vars=extra_vars)


def caddy_pid(host) -> str:
    return host.run("systemctl show -p MainPID --value caddy").stdout.strip()
