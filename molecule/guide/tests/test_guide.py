"""Kubo set up by hand, as the manual guide and operators do it, secured by the
collection, on both guide hosts: the guide's check through TLS works,
anonymous calls are refused, and the repository in the user's home keeps its
Identity, owner and mode. test_user_unit.py covers bob's user unit."""

from __future__ import annotations

import json

from conftest import PRISTINE_CONFIG, client, ipfs_id, journal, rpc


def without_api_settings(text: str) -> str:
    """The config file's text without the keys the role owns: the top-level
    "API" object and the "API" line of "Addresses" (Kubo writes 2-space JSON)."""
    lines, out, skipping = text.split("\n"), [], False
    for line in lines:
        if line == '  "API": {':
            skipping = True
        elif skipping:
            skipping = line not in ("  },", "  }")
        elif not line.startswith('    "API": '):
            out.append(line)
    return "\n".join(out)


def test_the_guides_check_through_tls_returns_the_peer_id(host, pristine_config):
    run = ipfs_id(host, client("admin"))
    assert run.rc == 0, run.stderr + journal(host, "caddy")
    assert run.stdout.strip() == pristine_config["Identity"]["PeerID"]


def test_a_call_without_credentials_is_refused_with_403(host):
    assert rpc(host, "/api/v0/id").status == 403


def test_kubo_runs_as_the_user_from_the_repository_in_their_home(host, settings):
    """The daemon writes <repo>/api when it starts; its unit runs it as the user."""
    user, repo = settings["kubo_api_auth_owner"], settings["kubo_api_auth_repo_path"]
    systemctl = "systemctl --user -M bob@" if settings.get("kubo_api_auth_restart_command") else "systemctl"
    pid = host.run(f"{systemctl} show -p MainPID --value ipfs").stdout.strip()
    assert host.run("ps -o user= -p %s", pid).stdout.strip() == user
    assert host.file(f"{repo}/api").content_string.strip() == "/ip4/127.0.0.1/tcp/5001"
    assert host.file(f"{repo}/api").user == user


def test_the_config_stays_0600_and_owned_by_the_user(host, settings, config_path):
    config = host.file(config_path)
    user = settings["kubo_api_auth_owner"]
    assert (config.user, config.group, config.mode) == (user, user, 0o600), oct(config.mode)


def test_identity_and_everything_but_the_api_settings_survive_byte_for_byte(host, config_path, pristine_config):
    after = host.file(config_path).content_string
    assert json.loads(after)["Identity"] == pristine_config["Identity"]
    assert without_api_settings(after) == without_api_settings(host.file(PRISTINE_CONFIG).content_string)
    assert json.loads(after)["API"]["Authorizations"], "the role wrote no client"
