"""Revocation and rotation: converging again with changed clients takes effect.

The module converges the instance a second time with one client removed and
one password changed, checks the effect, then converges back to the test
variables, so that the instance ends as the idempotence step left it.
"""

from __future__ import annotations

import pytest
from conftest import client, converge, journal_leaks, load_test_vars, rpc, secrets_of

NEW_PINNER_PASSWORD = "test-pinner-pw-rotated-9Vb2"


def converged(host, extra_vars: dict | None = None) -> None:
    res = converge(host, extra_vars)
    assert res.returncode == 0, f"converge failed:\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}"


@pytest.fixture(scope="module")
def rotated(host):
    clients = [c for c in load_test_vars()["kubo_api_auth_clients"] if c["name"] != "ci-bot"]
    clients = [dict(c, password=NEW_PINNER_PASSWORD) if c["name"] == "pinner" else c for c in clients]
    converged(host, {"kubo_api_auth_clients": clients})
    yield clients
    converged(host)
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
