# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the secure_kubo.rpc.caddy_basic_auth_hash module, with Debian's real Caddy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ansible_collections.secure_kubo.rpc.plugins.module_utils._caddy_auth import (
    BCRYPT,
    PLACEHOLDER_HASH,
    hashes_in_caddyfile,
    load_libcrypt,
    password_matches,
)
from ansible_collections.secure_kubo.rpc.plugins.modules.caddy_basic_auth_hash import main
from ansible_collections.secure_kubo.rpc.tests.unit.plugins.modules.module_runner import run_module

CADDY = "/usr/bin/caddy"  # Debian's caddy package; a missing one fails the tests, never skips them
PASSWORD = "correct-horse-battery-staple"
# OpenBSD's bcrypt test vector: the password U*U.
KNOWN_PASSWORD = "U*U"
KNOWN_HASH = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
OTHER_HASH = "$2a$14$QAULm/b88x1/JSp4aGXTi.pm.xCLFptT5Jffqu42Na3.QnnCkTMLy"


def caddyfile(tmp_path: Path, users: dict[str, str]) -> str:
    path = tmp_path / "Caddyfile"
    lines = "".join(f'\t\t\t\t"{user}" "{password_hash}"\n' for user, password_hash in users.items())
    path.write_text('"kubo.example.com" {\n\troute {\n\t\thandle /api/v0/* {\n\t\t\tbasic_auth {\n'
                    f"{lines}\t\t\t}}\n\t\t}}\n\t}}\n}}\n")
    return str(path)


def test_the_host_can_check_bcrypt_hashes():
    assert os.access(CADDY, os.X_OK), f"{CADDY} is needed (apt-get install caddy)"
    libcrypt = load_libcrypt()
    assert password_matches(libcrypt, KNOWN_PASSWORD, KNOWN_HASH) is True
    assert password_matches(libcrypt, "wrong", KNOWN_HASH) is False


def test_a_hash_that_still_matches_is_kept(tmp_path, capsys):
    path = caddyfile(tmp_path, {"alice": KNOWN_HASH})
    result, out = run_module(main, capsys, users=[{"username": "alice", "password": KNOWN_PASSWORD}],
                             path=path, caddy_binary=CADDY)
    assert result["users"] == [{"username": "alice", "password_hash": KNOWN_HASH}]
    assert result["rehashed"] == [] and result["changed"] is False and result["libcrypt"] is True
    assert KNOWN_PASSWORD not in out.replace(KNOWN_HASH, "")


def test_a_changed_password_gets_a_new_hash_that_matches_it(tmp_path, capsys):
    path = caddyfile(tmp_path, {"alice": KNOWN_HASH, "bob": OTHER_HASH})
    result, out = run_module(main, capsys, path=path, caddy_binary=CADDY, users=[
        {"username": "alice", "password": PASSWORD},
        {"username": "carol", "password_hash": OTHER_HASH},
    ])
    assert not result.get("failed"), result
    (alice, carol) = result["users"]
    assert alice["username"] == "alice" and alice["password_hash"] != KNOWN_HASH
    assert BCRYPT.fullmatch(alice["password_hash"])
    assert password_matches(load_libcrypt(), PASSWORD, alice["password_hash"]) is True
    assert carol == {"username": "carol", "password_hash": OTHER_HASH}, "a given hash is passed through"
    assert result["rehashed"] == ["alice"]
    assert PASSWORD not in out


def test_the_same_password_twice_keeps_the_hash_of_the_first_run(tmp_path, capsys):
    users = [{"username": "alice", "password": PASSWORD}]
    first, dummy = run_module(main, capsys, users=users, path=str(tmp_path / "none"), caddy_binary=CADDY)
    path = caddyfile(tmp_path, {u["username"]: u["password_hash"] for u in first["users"]})
    second, dummy = run_module(main, capsys, users=users, path=path, caddy_binary=CADDY)
    assert second["users"] == first["users"] and second["rehashed"] == []


def test_no_password_appears_in_the_output_not_even_in_an_error(tmp_path, capsys):
    result, out = run_module(main, capsys, users=[{"username": "alice", "password": PASSWORD}],
                             path=str(tmp_path / "none"), caddy_binary=str(tmp_path / "no-caddy"))
    assert result["failed"] is True
    assert "no-caddy is not installed" in result["msg"]
    assert PASSWORD not in out
    assert result["invocation"]["module_args"]["users"][0]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_check_mode_without_caddy_uses_a_placeholder_and_changes_nothing(tmp_path, capsys):
    path = caddyfile(tmp_path, {})
    before = Path(path).read_text()
    result, out = run_module(main, capsys, check_mode=True, users=[{"username": "alice", "password": PASSWORD}],
                             path=path, caddy_binary=str(tmp_path / "no-caddy"))
    assert not result.get("failed"), result
    assert result["users"] == [{"username": "alice", "password_hash": PLACEHOLDER_HASH}]
    assert result["rehashed"] == ["alice"] and result["changed"] is False
    assert Path(path).read_text() == before
    assert PASSWORD not in out


def test_check_mode_with_caddy_keeps_a_matching_hash(tmp_path, capsys):
    path = caddyfile(tmp_path, {"alice": KNOWN_HASH})
    result, dummy = run_module(main, capsys, check_mode=True, path=path, caddy_binary=CADDY,
                               users=[{"username": "alice", "password": KNOWN_PASSWORD}])
    assert result["users"][0]["password_hash"] == KNOWN_HASH and result["rehashed"] == []


@pytest.mark.parametrize(("user", "message"), [
    ({"username": "alice"}, "one of the following is required: password, password_hash"),
    ({"username": "alice", "password": PASSWORD, "password_hash": OTHER_HASH}, "mutually exclusive"),
    ({"username": "alice", "password": "two\nlines"}, "the password of alice has a line break"),
])
def test_bad_users_are_refused(tmp_path, capsys, user, message):
    result, out = run_module(main, capsys, users=[user], path=str(tmp_path / "none"), caddy_binary=CADDY)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert PASSWORD not in out and "two\\nlines" not in out


def test_a_fake_caddy_that_prints_no_hash_fails_cleanly(tmp_path, capsys):
    fake = tmp_path / "caddy"
    fake.write_text("#!/bin/sh\ncat >/dev/null\necho 'no hash here' >&2\nexit 1\n")
    fake.chmod(0o755)
    result, out = run_module(main, capsys, users=[{"username": "alice", "password": PASSWORD}],
                             path=str(tmp_path / "none"), caddy_binary=str(fake))
    assert result["failed"] is True and "hash-password failed (exit 1): no hash here" in result["msg"]
    assert PASSWORD not in out


def test_hashes_are_read_from_quoted_and_bare_tokens():
    text = f'basic_auth {{\n\t"alice" "{KNOWN_HASH}"\n\tbob {OTHER_HASH}\n\t"a \\"q\\"" {OTHER_HASH}\n\talice {OTHER_HASH}\n}}\n'
    assert hashes_in_caddyfile(text) == {"alice": KNOWN_HASH, "bob": OTHER_HASH, 'a "q"': OTHER_HASH}
