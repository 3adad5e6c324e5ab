# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the kubo_host_info module: a Kubo installation in tmp_path
(a binary that prints its version, a repository), the account of the user
running the tests, and a fake systemctl on PATH."""

from __future__ import annotations

import grp
import os
import pwd

import pytest

from ansible_collections.secure_kubo.rpc.plugins.modules.kubo_host_info import main
from ansible_collections.secure_kubo.rpc.tests.unit.plugins.modules.module_runner import run_module

ME = pwd.getpwuid(os.getuid())
MY_GROUP = grp.getgrgid(ME.pw_gid).gr_name


def script(path, text: str) -> str:
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def host(tmp_path, monkeypatch):
    """An installed Kubo 0.42.0 with an initialised repository at version 18, run by systemd."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script(bindir / "systemctl", 'echo "$@" >> "$(dirname "$0")/calls"\nprintf "ActiveState=active\\nUnitFileState=enabled\\n"\n')
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    repo = tmp_path / "repo"
    repo.mkdir(mode=0o700)
    repo.chmod(0o700)
    (repo / "version").write_text("18\n")
    (repo / "config").write_text("{}")
    args = {"binary_path": script(bindir / "ipfs", 'echo 0.42.0\n'), "repo_path": str(repo),
            "user": ME.pw_name, "group": MY_GROUP, "shell": ME.pw_shell, "service": "ipfs"}
    # The account as the role makes it: the repository is the user's home.
    me_at_repo = pwd.struct_passwd((*ME[:5], str(repo), ME.pw_shell))

    def getpwnam(name: str) -> pwd.struct_passwd:
        if name != ME.pw_name:
            raise KeyError(name)
        return me_at_repo
    monkeypatch.setattr(pwd, "getpwnam", getpwnam)
    return args


def test_an_installed_kubo_is_found_complete(host, capsys):
    result = run_module(main, capsys, **host)[0]
    assert result["changed"] is False
    assert result["version"] == "0.42.0" and result["version_error"] == ""
    assert result["repo_version"] == 18 and result["config_exists"] is True
    assert result["group_ok"] and result["user_ok"] and result["repo_dir_ok"]
    assert result["service_active"] and result["service_enabled"]


def test_check_mode_reads_the_same(host, capsys):
    result = run_module(main, capsys, check_mode=True, **host)[0]
    assert result["version"] == "0.42.0" and result["repo_dir_ok"] is True


def test_a_new_host_has_nothing(tmp_path, host, capsys):
    host.update(binary_path=str(tmp_path / "missing"), repo_path=str(tmp_path / "nothing"))
    result = run_module(main, capsys, **host)[0]
    assert result["version"] is None and "does not exist" in result["version_error"]
    assert result["repo_version"] is None and result["config_exists"] is False
    # the user's home is not the repository path any more
    assert result["user_ok"] is False and result["repo_dir_ok"] is False


def test_a_binary_that_fails_reports_why(tmp_path, host, capsys):
    host["binary_path"] = script(tmp_path / "broken", 'echo "cannot execute" >&2; exit 3\n')
    result = run_module(main, capsys, **host)[0]
    assert result["version"] is None and result["version_error"] == "cannot execute"


@pytest.mark.parametrize("change, key", [
    ("mode", "repo_dir_ok"),
    ("shell", "user_ok"),
    ("group", "group_ok"),
])
def test_each_difference_from_what_the_role_sets_is_found(host, capsys, change, key):
    if change == "mode":
        os.chmod(host["repo_path"], 0o755)
    elif change == "shell":
        host["shell"] = "/bin/false-not-this"
    else:
        host["group"] = "no-such-group-here"
    result = run_module(main, capsys, **host)[0]
    assert result[key] is False
    # a user or group that is off makes the directory's owner unknown too
    assert result["repo_dir_ok"] is False


def test_a_stopped_service_is_found(tmp_path, host, capsys):
    script(tmp_path / "bin" / "systemctl", 'printf "ActiveState=failed\\nUnitFileState=disabled\\n"\n')
    result = run_module(main, capsys, **host)[0]
    assert result["service_active"] is False and result["service_enabled"] is False


def test_a_repository_version_that_is_not_a_number_counts_as_none(host, capsys):
    with open(os.path.join(host["repo_path"], "version"), "w", encoding="ascii") as stream:
        stream.write("garbage")
    result = run_module(main, capsys, **host)[0]
    assert result["repo_version"] is None
