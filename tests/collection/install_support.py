"""Helpers for the install tests: the README's installation examples, run
with a local clone in place of GitHub (which CI cannot reach)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
# The URL users install from (README, execution-environment.yml).
GITHUB = GALAXY["repository"] + ".git"


def run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, check=False, timeout=120)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def ansible_env(tmp: Path, collections: Path | None = None) -> dict:
    """Nothing of the caller's Ansible settings: only `collections` provides
    secure_kubo.rpc, Galaxy is an address that refuses at once (an install that
    tried to reach it would fail, not hang), and ~/.ansible is left alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_HOME=str(tmp / "ansible-home"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/",
               ANSIBLE_COLLECTIONS_PATH=str(collections or tmp / "nowhere"))
    return env


def readme_installing() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Installing\n")
    return text[start:text.index("\n## ", start + 1)]


def readme_blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", readme_installing(), re.MULTILINE | re.DOTALL)


def readme_version() -> str:
    """The release README's examples install; every example names the same one."""
    (version,) = set(re.findall(r"git\+" + re.escape(GITHUB) + r",(\S+)", readme_installing()))
    return version
