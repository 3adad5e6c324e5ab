"""Helpers of the guide tests: the shared verify helpers, each host's own
settings (molecule/guide/vars/<host>.yml) and converging one host again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tests"))
# pylint: disable=wrong-import-position,unused-import
from kubo_checks import (  # noqa: E402,F401
    PRISTINE_CONFIG, ansible_playbook, client, host, ipfs_id, journal, pebble_root, pristine_config, rpc,
)

GUIDE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def settings(host) -> dict:
    """The host's settings as the operator wrote them (vars/<host>.yml)."""
    return yaml.safe_load((GUIDE / "vars" / f"{host.backend.get_hostname()}.yml").read_text())


@pytest.fixture(scope="module")
def config_path(settings) -> str:
    return f"{settings['kubo_api_auth_repo_path']}/config"


def converge(host, extra_vars: dict | None = None, *flags: str) -> subprocess.CompletedProcess:
    """The guide's converge.yml again, on this host only."""
    return ansible_playbook(GUIDE / "converge.yml", "--limit", host.backend.get_hostname(), *flags, extra_vars=extra_vars)


def kubo_started(host) -> float:
    """When the Kubo that answers on 127.0.0.1:5001 started (its own metrics)."""
    metrics = host.run("curl -sS --max-time 5 http://127.0.0.1:5001/debug/metrics/prometheus").stdout
    line = next(line for line in metrics.splitlines() if line.startswith("process_start_time_seconds "))
    return float(line.split()[1])


def user_unit(host, *args: str):
    """systemctl for bob's user unit, as root, the way the role runs it."""
    return host.run("systemctl --user -M bob@ " + " ".join(args))
