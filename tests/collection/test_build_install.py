"""The collection as users get it: build the tarball, install it into an
empty collections path, and use its roles and filters by FQCN from there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FIXTURE = ROOT / "tests" / "unit" / "fixtures" / "kubo-v0.42.0-server.json"


def run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), cwd=ROOT)
    (path,) = out.glob("secure_kubo-rpc-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory) -> dict:
    """Environment in which only the installed tarball provides secure_kubo.rpc."""
    path = tmp_path_factory.mktemp("collections")
    run(str(BIN / "ansible-galaxy"), "collection", "install", "--force", str(tarball), "-p", str(path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(path), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    return env


def test_tarball_ships_roles_and_plugins_but_not_the_test_harness(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    for wanted in ("MANIFEST.json", "README.md", "meta/runtime.yml",
                   "plugins/filter/kubo_api_merge.py", "plugins/filter/kubo_config_mask.py",
                   "plugins/modules/kubo_config.py", "plugins/modules/kubo_restart.py",
                   "plugins/modules/caddy_basic_auth_hash.py", "plugins/modules/caddy_certificates.py",
                   "plugins/modules/kubo_host_info.py", "plugins/modules/caddy_host_info.py",
                   "plugins/module_utils/_kubo_config.py", "plugins/module_utils/_kubo_api.py", "plugins/module_utils/_caddy_settings.py",
                   "roles/kubo_api_auth/meta/argument_specs.yml", "roles/caddy_tls/meta/argument_specs.yml",
                   "roles/kubo/meta/argument_specs.yml", "playbooks/site.yml", "playbooks/verify.yml"):
        assert wanted in names
    for unwanted in ("molecule", "tests/unit", ".ci", ".venv", "scripts"):
        assert not any(n == unwanted or n.startswith(unwanted + "/") for n in names), unwanted


@pytest.mark.parametrize(("kind", "name"), [
    ("filter", "secure_kubo.rpc.kubo_api_merge"),
    ("filter", "secure_kubo.rpc.kubo_config_mask"),
    ("filter", "secure_kubo.rpc.caddyfile"),
    ("module", "secure_kubo.rpc.kubo_config"),
    ("module", "secure_kubo.rpc.kubo_restart"),
    ("module", "secure_kubo.rpc.caddy_basic_auth_hash"),
    ("module", "secure_kubo.rpc.caddy_certificates"),
    ("role", "secure_kubo.rpc.kubo_api_auth"),
    ("role", "secure_kubo.rpc.caddy_tls"),
    ("role", "secure_kubo.rpc.kubo"),
])
def test_ansible_doc_shows_the_installed_documentation(installed, kind, name):
    result = run(str(BIN / "ansible-doc"), "-t", kind, "--json", name, env=installed)
    doc = json.loads(result.stdout)[name]
    if kind in ("filter", "module"):
        assert doc["doc"]["short_description"] and doc["examples"] and doc["return"]
    else:
        assert doc["entry_points"]["main"]["options"]


def test_installed_role_works_through_include_role(installed, tmp_path):
    repo = tmp_path / "ipfs"
    repo.mkdir()
    shutil.copy(FIXTURE, repo / "config")
    playbook = tmp_path / "infra.yml"
    playbook.write_text(f"""
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Secure the RPC API as part of a larger playbook
      ansible.builtin.include_role:
        name: secure_kubo.rpc.kubo_api_auth
      vars:
        kubo_api_auth_repo_path: {repo}
        kubo_api_auth_owner: "{os.getuid()}"
        kubo_api_auth_group: "{os.getgid()}"
        kubo_api_auth_restart: false
        kubo_api_auth_clients:
          - name: ci
            username: ci
            password: a-long-enough-password
""")
    run(str(BIN / "ansible-playbook"), "-i", "localhost,", "-e", f"ansible_python_interpreter={sys.executable}", str(playbook), env=installed)
    config = json.loads((repo / "config").read_text())
    assert config["API"]["Authorizations"] == {"ci": {"AuthSecret": "basic:ci:a-long-enough-password", "AllowedPaths": ["/api/v0"]}}
    assert config["Identity"] == json.loads(FIXTURE.read_text())["Identity"]
    assert oct((repo / "config").stat().st_mode & 0o777) == "0o600"
    second = run(str(BIN / "ansible-playbook"), "-i", "localhost,", "-e", f"ansible_python_interpreter={sys.executable}", str(playbook), env=installed)
    assert "changed=0" in second.stdout


@pytest.mark.parametrize("playbook", ["secure_kubo.rpc.site", "secure_kubo.rpc.verify"])
def test_installed_playbooks_run_by_fqcn(installed, playbook, tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text((ROOT / "inventory.example").read_text())
    result = run(str(BIN / "ansible-playbook"), "-i", str(inventory), "--syntax-check", playbook, env=installed)
    name = playbook.rsplit(".", 1)[1]
    assert f"ansible_collections/secure_kubo/rpc/playbooks/{name}.yml" in result.stdout
