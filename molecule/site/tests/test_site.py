"""secure_kubo.rpc.site, installed from the tarball, took a bare host to a
secured Kubo RPC API: Kubo downloaded from the mirror and checked, a hardened
service, and the guide's check through TLS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import client, ipfs_id, journal, rpc
from kubo_checks import ansible_playbook

MIRROR = "/srv/mirror/dist/kubo/v0.42.0"
CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
# test_caddy_repo.py (run before this file) upgraded Caddy to this pin.
CADDY_PIN = {"caddy_tls_package_version": "2.11.*"}


def arch(host) -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}[host.system_info.arch]


def test_kubo_came_from_the_mirror_and_matches_its_published_checksum(host):
    tarball = f"kubo_v0.42.0_linux-{arch(host)}.tar.gz"
    cached = host.file(f"/var/cache/kubo/{tarball}")
    assert cached.exists, "the kubo role did not download the release tarball"
    published = host.file(f"{MIRROR}/{tarball}.sha512").content_string.split()[0]
    actual = host.run(f"sha512sum /var/cache/kubo/{tarball}").stdout.split()[0]
    assert actual == published


def test_the_installed_ipfs_is_the_pinned_version(host):
    assert host.run("/usr/local/bin/ipfs version --number").stdout.strip() == "0.42.0"
    assert host.file("/usr/local/bin/ipfs").mode == 0o755


def test_kubo_runs_as_the_ipfs_system_user_with_its_repo_private(host):
    user = host.user("ipfs")
    assert user.exists and user.uid < 1000 and user.shell == "/usr/sbin/nologin"
    repo = host.file("/var/lib/ipfs")
    assert (repo.user, repo.mode) == ("ipfs", 0o700)
    config = host.file("/var/lib/ipfs/config")
    assert (config.user, config.mode) == ("ipfs", 0o600)
    pid = host.run("systemctl show -p MainPID --value ipfs").stdout.strip()
    assert host.run(f"ps -o user= -p {pid}").stdout.strip() == "ipfs", journal(host, "ipfs")


def test_the_kubo_unit_is_notify_type_and_hardened(host):
    props = dict(
        line.split("=", 1)
        for line in host.run(
            "systemctl show ipfs -p Type,User,Environment,Restart,KillSignal,NoNewPrivileges,"
            "ProtectSystem,ProtectHome,PrivateTmp,PrivateDevices,ReadWritePaths,ActiveState"
        ).stdout.splitlines()
    )
    assert props["ActiveState"] == "active", journal(host, "ipfs")
    assert props["Type"] == "notify" and props["User"] == "ipfs" and props["Restart"] == "on-failure"
    assert props["KillSignal"] == "2"  # SIGINT
    assert "IPFS_PATH=/var/lib/ipfs" in props["Environment"]
    assert props["NoNewPrivileges"] == "yes" and props["ProtectSystem"] == "strict"
    assert props["PrivateTmp"] == "yes" and props["PrivateDevices"] == "yes"
    assert props["ReadWritePaths"] == "/var/lib/ipfs"


def test_the_guides_ipfs_id_check_prints_the_new_nodes_peer_id(host, peer_id):
    result = ipfs_id(host, client("admin"))
    assert result.rc == 0, result.stderr + journal(host, "caddy")
    assert result.stdout.strip() == peer_id


def test_no_credentials_and_kubos_other_endpoints_are_refused(host):
    assert rpc(host, "/api/v0/id").status == 403
    assert rpc(host, "/webui/", method="GET").status == 404
    assert rpc(host, "/debug/vars", method="GET").status == 404


def test_a_tarball_with_a_wrong_checksum_fails_before_anything_is_installed(host, tmp_path):
    """Upgrading to a "v0.42.1" whose .sha512 does not match stops in get_url:
    the binary, the service and the download cache stay as they were."""
    pid_before = host.run("systemctl show -p MainPID --value ipfs").stdout.strip()
    playbook = tmp_path / "upgrade.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: true\n  gather_subset: [min]\n  roles:\n"
        "    - role: secure_kubo.rpc.kubo\n      kubo_version: v0.42.1\n"
        "      kubo_dist_base_url: http://127.0.0.1:8088/dist-bad\n"
    )
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or str(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory")
    argv = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", inventory,
            "--limit", host.backend.get_hostname(), str(playbook)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "checksum" in output.lower(), output[-3000:]
    assert host.run("/usr/local/bin/ipfs version --number").stdout.strip() == "0.42.0"
    assert not host.file(f"/var/cache/kubo/kubo_v0.42.1_linux-{arch(host)}.tar.gz").exists
    assert host.run("systemctl show -p MainPID --value ipfs").stdout.strip() == pid_before


def test_a_run_puts_back_what_was_changed_by_hand(host, peer_id):
    """Each role reads the host once (kubo_host_info, caddy_host_info) and skips the steps it
    found done: what was changed by hand since is found and put back, and the run after that
    changes nothing."""
    host.run("systemctl disable --now caddy ipfs && chmod 0755 /var/lib/ipfs && usermod -s /bin/sh ipfs")
    assert not host.service("ipfs").is_running and not host.service("caddy").is_enabled
    repair = ansible_playbook(CONVERGE, "--limit", host.backend.get_hostname(), extra_vars=CADDY_PIN)
    assert changed_count(repair) >= 4, repair.stdout[-4000:]
    for unit in ("ipfs", "caddy"):
        assert host.service(unit).is_running and host.service(unit).is_enabled, unit
    assert host.file("/var/lib/ipfs").mode == 0o700
    assert host.user("ipfs").shell == "/usr/sbin/nologin"
    result = ipfs_id(host, client("admin"))  # the guide's check, through TLS
    assert result.rc == 0 and result.stdout.strip() == peer_id, result.stderr + journal(host, "caddy")
    again = ansible_playbook(CONVERGE, "--limit", host.backend.get_hostname(), extra_vars=CADDY_PIN)
    assert changed_count(again) == 0, again.stdout[-4000:]


def changed_count(result: subprocess.CompletedProcess) -> int:
    recap = re.search(r"secure-kubo-site\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", result.stdout)
    assert result.returncode == 0 and recap, (result.stdout + result.stderr)[-4000:]
    return int(recap.group(1))
