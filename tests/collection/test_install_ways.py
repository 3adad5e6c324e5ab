"""Every way README's "Installing" section gives works as written there: git,
a tarball, and requirements.yml with either. The examples are read from the
README itself and run with a local clone in place of GitHub. Each install
must give a usable collection (ansible-doc finds its roles and filters with
only the install directory on the collections path) with exactly the files
galaxy.yml intends: every tracked file but those in build_ignore."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from install_support import BIN, GALAXY, GITHUB, ansible_env, readme_blocks, readme_installing, readme_version, run

TARBALL = re.compile(r"secure_kubo-rpc-[^\s/]+\.tar\.gz")
COLLECTION = Path("ansible_collections/secure_kubo/rpc")


def local(text: str, clone: Path, tarball: Path | None = None) -> str:
    """README's text with the clone for GitHub, the tarball built here for the release's."""
    text = text.replace(GITHUB, clone.as_uri())
    return TARBALL.sub(tarball.name, text) if tarball else text


@pytest.fixture(scope="module")
def tarball(clone, tmp_path_factory) -> Path:
    """Built as README says: `ansible-galaxy collection build` in a checkout of the release."""
    (build,) = [b for b in readme_blocks("sh") if "collection build" in b]
    checkout = tmp_path_factory.mktemp("checkout") / "rpc"
    shutil.copytree(clone, checkout, symlinks=True)
    run("git", "checkout", "--quiet", readme_version(), cwd=checkout)
    assert "ansible-galaxy collection build" in build.splitlines()[1]
    run(str(BIN / "ansible-galaxy"), "collection", "build", cwd=checkout)
    path = checkout / f"secure_kubo-rpc-{GALAXY['version']}.tar.gz"
    assert path.is_file()
    return path


def galaxy(command: str, cwd: Path, target: Path) -> None:
    """One `ansible-galaxy collection install` line of README, into `target`."""
    args = shlex.split(command)
    assert args[:3] == ["ansible-galaxy", "collection", "install"], command
    run(str(BIN / "ansible-galaxy"), *args[1:], "-p", str(target), env=ansible_env(cwd), cwd=cwd)


def expected_files(clone: Path) -> set[str]:
    """Tracked files minus build_ignore and what ansible-galaxy always leaves out."""
    ignore = [*GALAXY["build_ignore"], "galaxy.yml"]
    tracked = run("git", "ls-files", cwd=clone).stdout.split()

    def ignored(name: str) -> bool:
        parts = name.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        return any(fnmatch.fnmatch(p, pattern) for p in prefixes for pattern in ignore)
    return {name for name in tracked if not ignored(name)}


def check_installed(target: Path, clone: Path, tmp: Path) -> None:
    root = target / COLLECTION
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert files - {"MANIFEST.json", "FILES.json"} == expected_files(clone)
    for unwanted in ("molecule", "tests", "scripts", ".cache", ".venv", "changelogs/fragments", "execution-environment.yml"):
        assert not (root / unwanted).exists(), unwanted
    for wanted in ("meta/runtime.yml", "meta/execution-environment.yml", "bindep.txt",
                   "roles/caddy_tls/meta/argument_specs.yml", "plugins/filter/caddyfile.py", "playbooks/site.yml"):
        assert (root / wanted).is_file(), wanted
    manifest = json.loads((root / "MANIFEST.json").read_text())["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == ("secure_kubo", "rpc", GALAXY["version"])

    env = ansible_env(tmp, target)
    role = json.loads(run(str(BIN / "ansible-doc"), "-t", "role", "--json", "secure_kubo.rpc.caddy_tls", env=env, cwd=tmp).stdout)
    assert "caddy_tls_domains" in role["secure_kubo.rpc.caddy_tls"]["entry_points"]["main"]["options"]
    # The text form names the file it read: the installed copy.
    doc = run(str(BIN / "ansible-doc"), "-t", "filter", "secure_kubo.rpc.caddyfile", env=env, cwd=tmp).stdout
    assert str(root / "plugins/filter/caddyfile.py") in doc


def test_readme_examples_all_install_the_same_release():
    text = readme_installing()
    version = readme_version()
    assert f"git+{GITHUB},{version}" in text
    assert set(TARBALL.findall(text)) == {f"secure_kubo-rpc-{version}.tar.gz"}
    assert set(re.findall(r"^\s+version: (\S+)$", text, re.MULTILINE)) == {version}
    assert f"--branch {version} {GITHUB}" in text
    ee = yaml.safe_load((Path(__file__).resolve().parents[2] / "execution-environment.yml").read_text())
    assert ee["dependencies"]["galaxy"]["collections"] == [{"name": GITHUB, "type": "git", "version": version}]


def test_install_from_git_url(clone, tmp_path):
    (command,) = [line for b in readme_blocks("sh") for line in b.splitlines() if "install git+" in line]
    galaxy(local(command, clone), tmp_path, tmp_path / "collections")
    check_installed(tmp_path / "collections", clone, tmp_path)


def test_install_from_tarball(clone, tarball, tmp_path):
    (command,) = [line for b in readme_blocks("sh") if "collection build" in b
                  for line in b.splitlines() if "collection install" in line]
    shutil.copy(tarball, tmp_path)
    galaxy(local(command, clone, tarball), tmp_path, tmp_path / "collections")
    check_installed(tmp_path / "collections", clone, tmp_path)


@pytest.mark.parametrize("kind", ["git", "file"])
def test_install_from_requirements_file(clone, tarball, tmp_path, kind):
    (requirements,) = [b for b in readme_blocks("yaml") if f"type: {kind}" in b]
    (command,) = [b.strip() for b in readme_blocks("sh") if " -r requirements.yml" in b]
    (tmp_path / "requirements.yml").write_text(local(requirements, clone, tarball))
    shutil.copy(tarball, tmp_path)
    galaxy(command, tmp_path, tmp_path / "collections")
    check_installed(tmp_path / "collections", clone, tmp_path)
