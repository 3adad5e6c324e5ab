"""Revocation and rotation: converging again with changed clients takes effect.

The module converges the instance a second time with one client removed and
one password changed, checks the effect, then converges back to the test
variables, so that the instance ends as the idempotence step left it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED, client, journal_leaks, load_test_vars, rpc, secrets_of

NEW_PINNER_PASSWORD = "test-pinner-pw-rotated-9Vb2"


def converge(host, extra_vars: dict | None, tmp_path_factory) -> None:
    """ansible-playbook converge.yml against this instance, like Molecule does."""
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or str(
        Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"
    )
    argv = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i", inventory,
        "--limit", host.backend.get_hostname(),
        str(SHARED / "converge.yml"),
    ]
    if extra_vars is not None:
        f = tmp_path_factory.mktemp("vars") / "rotated.json"
        f.write_text(json.dumps(extra_vars))
        f.chmod(0o600)
        argv += ["-e", f"@{f}"]
    res = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)
    assert res.returncode == 0, f"{' '.join(argv)} failed:\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}"


@pytest.fixture(scope="module")
def rotated(host, tmp_path_factory):
    clients = [c for c in load_test_vars()["kubo_api_auth_clients"] if c["name"] != "ci-bot"]
    clients = [dict(c, password=NEW_PINNER_PASSWORD) if c["name"] == "pinner" else c for c in clients]
    converge(host, {"kubo_api_auth_clients": clients}, tmp_path_factory)
    yield clients
    converge(host, None, tmp_path_factory)
    # Back to the original clients: the removed token works again.
    assert rpc(host, "/api/v0/id", client("ci-bot")).status == 200


def test_a_removed_clients_token_gets_403_after_converging(host, rotated):
    r = rpc(host, "/api/v0/id", client("ci-bot"))
    assert r.status == 403, r


def test_a_changed_password_takes_effect_new_gets_200(host, rotated):
    r = rpc(host, "/api/v0/pin/ls", client("pinner", rotated))
    assert r.status == 200, r


def test_a_changed_password_takes_effect_old_gets_403(host, rotated):
    r = rpc(host, "/api/v0/pin/ls", client("pinner"))
    assert r.status == 403, r


def test_the_untouched_admin_client_keeps_working(host, rotated):
    r = rpc(host, "/api/v0/id", client("admin", rotated))
    assert r.status == 200, r


def test_the_new_password_appears_nowhere_in_the_journal(host, rotated):
    # The converge with the new secrets ran; a leak here is the roles' (their
    # module arguments in the journal, a diff, a debug message).
    new = [c for c in rotated if c["name"] == "pinner"]
    leaks = journal_leaks(host, secrets_of(new))
    assert leaks == "", "secrets in the journal:" + leaks
