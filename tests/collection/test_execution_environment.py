"""The execution environment for AWX / Automation Controller: `ansible-builder
create` turns execution-environment.yml into a build context (no image is
built: that needs a registry), and the steps of that context that bring in the
collection and its requirements are run here as the build runs them."""

from __future__ import annotations

import ast
import shlex
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends

from install_support import BIN, GITHUB, ROOT, ansible_env, readme_installing, readme_version, run

COLLECTION = "ansible_collections/secure_kubo/rpc"


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ee") / "context"
    run(str(BIN / "ansible-builder"), "create", "-f", str(ROOT / "execution-environment.yml"), "-c", str(path),
        "--output-filename", "Containerfile", cwd=path.parent)
    return path


def test_context_installs_ansible_and_the_collection_from_git(context):
    containerfile = (context / "Containerfile").read_text()
    lines = containerfile.splitlines()
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in lines  # --build-arg EE_BASE_IMAGE=... replaces it
    assert 'ARG PYCMD="/usr/bin/python3.11"' in lines
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core~=2.19.0 ansible-runner"' in lines
    # git before the collection install that needs it, in the galaxy stage
    galaxy_stage = containerfile[containerfile.index("FROM base AS galaxy"):containerfile.index("FROM base AS builder")]
    git = galaxy_stage.index("RUN $PKGMGR install -y git-core")
    install = galaxy_stage.index("ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml")
    assert git < install
    # the collections' requirements are gathered and installed in the final image
    assert "RUN $PYCMD /output/scripts/introspect.py introspect --write-bindep=/tmp/src/bindep.txt" in containerfile
    assert "RUN /output/scripts/install-from-bindep" in containerfile
    requirements = yaml.safe_load((context / "_build/requirements.yml").read_text())
    assert requirements == {"collections": [{"name": GITHUB, "type": "git", "version": readme_version()}]}


def test_build_installs_the_collection_and_its_ssh_client(context, clone, tmp_path):
    """The galaxy stage's install command, run on the context's requirements.yml
    (GitHub replaced by the clone), then the builder stage's introspection of
    what it installed: the collection's requirements as the image gets them."""
    build = tmp_path / "build"
    shutil.copytree(context / "_build", build)
    requirements = build / "requirements.yml"
    requirements.write_text(requirements.read_text().replace(GITHUB, clone.as_uri()))
    (step,) = [line for line in (context / "Containerfile").read_text().splitlines()
               if "ansible-galaxy collection install" in line]
    args = shlex.split(step.removeprefix("RUN ").replace("$ANSIBLE_GALAXY_CLI_COLLECTION_OPTS", ""))
    collections = tmp_path / "usr/share/ansible/collections"
    env = ansible_env(tmp_path)
    while "=" in args[0]:  # ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1
        name, value = args.pop(0).split("=", 1)
        env[name] = value
    args[args.index("--collections-path") + 1] = str(collections)
    run(str(BIN / args[0]), *args[1:], env=env, cwd=build)
    assert (collections / COLLECTION / "meta/execution-environment.yml").is_file()

    out = tmp_path / "src"
    run(sys.executable, str(build / "scripts/introspect.py"), "introspect", str(collections),
        f"--write-bindep={out}/bindep.txt", f"--write-pip={out}/requirements.txt")
    assert not (out / "requirements.txt").exists()  # no Python package beyond ansible-core
    bindep = (out / "bindep.txt").read_text().splitlines()
    assert bindep == ["openssh-clients [platform:rpm]  # from collection secure_kubo.rpc",
                      "openssh-client [platform:dpkg]  # from collection secure_kubo.rpc"]
    # what install-from-bindep would install on the centos/RHEL base, and on a Debian one
    depends = Depends("\n".join(bindep) + "\n")
    assert [r[0] for r in depends.active_rules(["platform:rpm", "platform:redhat", "platform:centos"])] == ["openssh-clients"]
    assert [r[0] for r in depends.active_rules(["platform:dpkg", "platform:debian"])] == ["openssh-client"]

    doc = run(str(BIN / "ansible-doc"), "-t", "role", "-l", "secure_kubo.rpc", env=ansible_env(tmp_path, collections), cwd=tmp_path)
    assert "secure_kubo.rpc.caddy_tls" in doc.stdout


def test_plugins_need_no_python_package_beyond_ansible_core():
    """meta/execution-environment.yml declares no Python requirements; a plugin
    that imports a third-party package must add it there."""
    declared = yaml.safe_load((ROOT / "meta/execution-environment.yml").read_text())["dependencies"]
    assert "python" not in declared
    for path in (ROOT / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or top in {"ansible", "ansible_collections", "__future__"}, (path, module)


def test_readme_shows_how_to_build_the_image():
    text = readme_installing()
    assert "### AWX / Automation Controller" in text
    assert "ansible-builder build -f execution-environment.yml -t " in text
    assert "--build-arg EE_BASE_IMAGE=" in text
