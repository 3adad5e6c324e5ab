"""Kubo set up by hand, as the manual guide and operators do it, secured by the
collection: the guide's check through TLS works, anonymous calls are refused,
the repository in the user's home keeps its Identity, owner and mode, and a
Kubo under a user unit is restarted (and rolled back) through the restart
command."""

from __future__ import annotations

import json
import time

import pytest
from conftest import PRISTINE_CONFIG, client, converge, ipfs_id, journal, kubo_started, rpc, user_unit


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


# --- bob's user unit, restarted with kubo_api_auth_restart_command -----------

@pytest.fixture
def user_unit_host(host, settings):
    if not settings.get("kubo_api_auth_restart_command"):
        pytest.skip("Kubo runs from a system unit on this host")
    return host


def test_there_is_no_system_unit_for_kubo_only_the_users(user_unit_host):
    host = user_unit_host
    assert host.run("systemctl show -p LoadState --value ipfs").stdout.strip() == "not-found"
    assert user_unit(host, "is-active", "ipfs").stdout.strip() == "active"


def test_the_restart_command_restarted_kubo_through_the_user_manager(user_unit_host):
    """The converge changed the config: the Kubo that answers now started
    after prepare's, and bob's manager logged the restart of the unit."""
    host = user_unit_host
    assert kubo_started(host) > float(host.file("/root/kubo-started.prepare").content_string)
    manager = host.run("journalctl --no-pager -o cat USER_UNIT=ipfs.service").stdout
    assert manager.count("Stopped ipfs.service - InterPlanetary File System (IPFS) daemon.") >= 1, manager[-2000:]
    assert manager.count("Started ipfs.service - InterPlanetary File System (IPFS) daemon.") >= 2, manager[-2000:]


def test_a_run_cut_short_before_the_restart_is_finished_through_the_restart_command(user_unit_host, config_path):
    """As if the last run had written the config and died before restarting
    Kubo: the file is newer than the running Kubo, so the next run restarts it."""
    host = user_unit_host
    started = kubo_started(host)
    time.sleep(1.5)
    assert host.run("touch %s", config_path).rc == 0
    result = converge(host, None, "--skip-tags", "caddy_tls")
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"Kubo started before {config_path} last changed; restarting it." in result.stdout, result.stdout[-3000:]
    assert kubo_started(host) > started + 1
    assert rpc(host, "/api/v0/id", client("admin")).status == 200


def test_a_config_kubo_cannot_start_with_is_rolled_back_through_the_restart_command(user_unit_host, config_path):
    """The new config names an RPC address another process holds: Kubo exits
    at start. The play fails with Kubo's log from the user journal, the
    previous config is back and bob's unit runs Kubo with it again."""
    host = user_unit_host
    before = host.run("sha256sum %s", config_path).stdout.split()[0]
    holder = "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 5002)); s.listen(); time.sleep(600)"
    assert host.run("systemd-run --unit port-holder python3 -c %s && sleep 1", holder).rc == 0
    try:
        started = kubo_started(host)
        result = converge(host, {"kubo_api_auth_api_address": "/ip4/127.0.0.1/tcp/5002", "kubo_api_auth_restart_timeout": 15},
                          "--skip-tags", "caddy_tls")
        output = result.stdout + result.stderr
        assert result.returncode != 0, output[-3000:]
        assert "Kubo did not start with the new config" in output, output[-3000:]
        assert "Kubo's log (journalctl" in output and "address already in use" in output, output[-3000:]
        assert f"The previous config was restored from {config_path}." in output, output[-3000:]
        assert "Kubo is running again" in output, output[-3000:]
        assert host.run("sha256sum %s", config_path).stdout.split()[0] == before
        rejected = host.file(f"{config_path}.rejected")
        assert (rejected.mode, rejected.user) == (0o600, "bob") and "tcp/5002" in rejected.content_string
        assert user_unit(host, "is-active", "ipfs").stdout.strip() == "active"
        assert kubo_started(host) > started
        assert rpc(host, "/api/v0/id", client("admin")).status == 200, journal(host, "caddy")
    finally:
        host.run("systemctl stop port-holder; rm -f %s.rejected", config_path)
