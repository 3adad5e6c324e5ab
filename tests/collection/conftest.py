"""Fixtures of the install tests (test_install_ways, test_execution_environment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from install_support import ROOT, readme_version, run


@pytest.fixture(scope="session")
def clone(tmp_path_factory) -> Path:
    """A clone of this checkout's HEAD (commit what the tests should see),
    tagged with README's release as GitHub would be; plus untracked files in
    places galaxy.yml's build_ignore names, as a developer's checkout has."""
    path = tmp_path_factory.mktemp("github") / "rpc"
    run("git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(path))
    run("git", "-c", "user.name=t", "-c", "user.email=t@t", "tag", "-f", readme_version(), "HEAD", cwd=path)
    for junk in (".cache/galaxy-collections/x", ".venv/bin/x", ".ansible/x", ".pytest_cache/x",
                 "secure_kubo-rpc-0.0.1.tar.gz"):
        (path / junk).parent.mkdir(parents=True, exist_ok=True)
        (path / junk).write_text("not part of the collection\n")
    return path
