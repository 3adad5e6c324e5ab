"""Every role works in a play that does not gather facts: each gathers the few
it needs at the start of its preflight, only when they are missing, so that
`gather_facts: false` and `tasks_from: preflight` both work.

The Molecule scenario `guide` runs kubo_api_auth and caddy_tls in full that
way; here each role's preflight runs on this machine (local connection), which
only reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

PLAY = [{
    "name": "Each role's preflight without gathered facts",
    "hosts": "all",
    "gather_facts": False,
    "vars": {
        "secure_kubo_domain": "kubo.test",
        "kubo_api_auth_clients": [{"name": "ci", "username": "ci", "password": "a-valid-password-0123"}],
    },
    "tasks": [
        # caddy_tls twice: the second time its facts are there already.
        *({"name": f"Preflight of {role}", "ansible.builtin.include_role": {"name": f"secure_kubo.rpc.{role}", "tasks_from": "preflight"}}
          for role in ("kubo", "kubo_api_auth", "caddy_tls", "caddy_tls")),
        {"name": "Save the names of the facts the roles gathered",
         "ansible.builtin.copy": {"content": "{{ ansible_facts.keys() | sort | to_json }}", "dest": "{{ facts_file }}", "mode": "0600"}},
    ],
}]


def test_every_preflight_passes_without_gathered_facts_and_gathers_only_what_it_needs(tmp_path):
    (tmp_path / "play.yml").write_text(yaml.safe_dump(PLAY, sort_keys=False))
    (tmp_path / "ansible_collections" / "secure_kubo").mkdir(parents=True)
    (tmp_path / "ansible_collections" / "secure_kubo" / "rpc").symlink_to(ROOT)
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_COLLECTIONS_PATH": str(tmp_path), "ANSIBLE_GATHERING": "implicit"}
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
         "-e", f"facts_file={tmp_path / 'facts.json'}", str(tmp_path / "play.yml")],
        capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    facts = set(json.loads((tmp_path / "facts.json").read_text()))
    # kubo: the machine type; caddy_tls: OS family, Python, service manager.
    assert {"architecture", "os_family", "distribution", "python", "service_mgr"} <= facts, sorted(facts)
    # ...and not the expensive subsets (hardware, network).
    assert not facts & {"mounts", "memtotal_mb", "interfaces", "default_ipv4"}, sorted(facts)
    gathered = [block.split("\n", 2)[1] for block in output.split("TASK [secure_kubo.rpc.caddy_tls : Gather the facts the role needs]")[1:]]
    assert [line.split(":")[0] for line in gathered] == ["ok", "skipping"], gathered
