"""Whatever --tags or --skip-tags pick of site.yml, each role still reads the
host (kubo_host_info, caddy_host_info) before the steps that use what it read,
and the upstream check that stops an open API from being published stays in.

`ansible-playbook --list-tasks` shows what would run; nothing runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KUBO_READ = "secure_kubo.rpc.kubo : Read the Kubo binary, repository, account and service on the host"
CADDY_READ = "secure_kubo.rpc.caddy_tls : Read Caddy, its files and the upstream on the host"
UPSTREAM_CHECK = "secure_kubo.rpc.caddy_tls : Stop because the upstream could not be checked"


@pytest.fixture(scope="module")
def list_tasks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tags")
    (tmp / "inventory.yml").write_text(yaml.safe_dump({"kubo_rpc": {"hosts": {"node": {"ansible_connection": "local"}}}}))
    (tmp / "ansible_collections" / "secure_kubo").mkdir(parents=True)
    (tmp / "ansible_collections" / "secure_kubo" / "rpc").symlink_to(ROOT)
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_COLLECTIONS_PATH": str(tmp)}

    def tasks(*flags: str) -> list[str]:
        result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp / "inventory.yml"), "--list-tasks", *flags,
                                 str(ROOT / "playbooks" / "site.yml")], capture_output=True, text=True, env=env, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return [line.strip().split("\t")[0] for line in result.stdout.splitlines()]
    return tasks


@pytest.mark.parametrize("flags", [
    (),
    ("--tags", "caddy_tls_install"),
    ("--tags", "caddy_tls_configure"),
    ("--skip-tags", "caddy_tls_install"),
    ("--skip-tags", "caddy_tls_configure"),
    ("--tags", "kubo_install"),
    ("--tags", "kubo_service"),
    ("--skip-tags", "kubo_configure"),
])
def test_the_reads_and_the_upstream_check_run_whatever_the_tags(list_tasks, flags):
    tasks = list_tasks(*flags)
    assert KUBO_READ in tasks and CADDY_READ in tasks and UPSTREAM_CHECK in tasks, tasks


def test_skipping_a_role_skips_its_read_too(list_tasks):
    tasks = list_tasks("--skip-tags", "caddy_tls")
    assert CADDY_READ not in tasks and UPSTREAM_CHECK not in tasks
    assert "secure_kubo.rpc.caddy_tls : Install the Caddyfile" not in tasks
