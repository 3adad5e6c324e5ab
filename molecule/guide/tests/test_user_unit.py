"""Kubo under bob's systemd user unit, restarted with kubo_api_auth_restart_command:
the restart, a run cut short before it, and a rollback all go through the
command and bob's user manager."""

from __future__ import annotations

import time

import pytest
import testinfra
from conftest import client, converge, journal, kubo_started, rpc, user_unit


@pytest.fixture(scope="module")
def host():
    """Only the host whose Kubo runs under a user unit (molecule/guide/vars):
    this module's tests are not run once per instance like the others."""
    return testinfra.get_host("podman://secure-kubo-guide-user")


def test_there_is_no_system_unit_for_kubo_only_the_users(host):
    assert host.run("systemctl show -p LoadState --value ipfs").stdout.strip() == "not-found"
    assert user_unit(host, "is-active", "ipfs").stdout.strip() == "active"


def test_the_restart_command_restarted_kubo_through_the_user_manager(host):
    """The converge changed the config: the Kubo that answers now started
    after prepare's, and bob's manager logged the restart of the unit."""
    assert kubo_started(host) > float(host.file("/root/kubo-started.prepare").content_string)
    manager = host.run("journalctl --no-pager -o cat USER_UNIT=ipfs.service").stdout
    assert manager.count("Stopped ipfs.service - InterPlanetary File System (IPFS) daemon.") >= 1, manager[-2000:]
    assert manager.count("Started ipfs.service - InterPlanetary File System (IPFS) daemon.") >= 2, manager[-2000:]


def test_a_run_cut_short_before_the_restart_is_finished_through_the_restart_command(host, config_path):
    """As if the last run had written the config and died before restarting
    Kubo: the file is newer than the running Kubo, so the next run restarts it."""
    started = kubo_started(host)
    time.sleep(1.5)
    assert host.run("touch %s", config_path).rc == 0
    result = converge(host, None, "--skip-tags", "caddy_tls")
    assert result.returncode == 0, result.stdout[-3000:]
    said = " ".join((result.stdout + result.stderr).split())  # a warning, wrapped by older ansible-core
    assert f"Kubo started before {config_path} last changed; restarting it." in said, said[-3000:]
    assert kubo_started(host) > started + 1
    assert rpc(host, "/api/v0/id", client("admin")).status == 200


def test_a_config_kubo_cannot_start_with_is_rolled_back_through_the_restart_command(host, config_path):
    """The new config names an RPC address another process holds: Kubo exits
    at start. The play fails with Kubo's log from the user journal, the
    previous config is back and bob's unit runs Kubo with it again."""
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
