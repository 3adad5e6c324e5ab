"""Kubo releases other than the pinned one, and upgrading between them, live.

Other Kubo nodes (molecule/site/kubo-node.yml) run beside the site's own node,
on their own ports, each set up by hand with an older release, as an
operator's node would be. The roles secure each one on its release. Node b is
then upgraded by the kubo role to the pinned default and on to the newest
release, while a poller calls it without credentials ten times a second; a
downgrade that Kubo cannot do is refused before anything changes.
"""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

import pytest
from kubo_checks import PEBBLE_ROOT, ansible_playbook, client, journal

# The oldest release with RPC authorization; the first whose client speaks
# --api /dns/.../https; the pinned default; the newest that builds here.
OLDEST, OLD, PINNED, NEWEST = "v0.25.0", "v0.34.1", "v0.42.0", "v0.43.0"
# The repository version each runs (RepoVersion in Kubo's sources).
REPO_VERSION = {OLDEST: "15", OLD: "16", PINNED: "18", NEWEST: "18"}
PLAYBOOK = Path(__file__).resolve().parents[1] / "kubo-node.yml"
PASSWORD = "test-node-pw-5Rk2Vq"  # kubo-node.yml
ADMIN = ("-u", f"admin:{PASSWORD}")  # curl's credentials of the nodes' one client
PORTS = {"b": 5011, "c": 5021}


def run(host, node: str, version: str):
    return ansible_playbook(PLAYBOOK, "--limit", host.backend.get_hostname(),
                            extra_vars={"kubo_version": version, "node": node, "node_api_port": PORTS[node]})


def call(host, node: str, path: str, *auth: str) -> str:
    """The HTTP status of a POST to the node's RPC API ("000": no answer)."""
    argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "-X", "POST", *auth,
            f"http://127.0.0.1:{PORTS[node]}{path}"]
    return host.run(" ".join(shlex.quote(a) for a in argv)).stdout.strip()


def kept(host, node: str) -> dict:
    """What an upgrade must keep byte for byte: the node's Identity and its clients."""
    config = json.loads(host.file(f"/var/lib/ipfs-{node}/config").content_string)
    return {key: json.dumps(value, sort_keys=True)
            for key, value in (("Identity", config["Identity"]), ("Authorizations", config["API"]["Authorizations"]))}


def starts(host, node: str) -> int:
    """How often systemd has started the node; compare counts taken before and after a run
    (journalctl --since has whole seconds: a start that ended in the same second as a
    test began would count)."""
    out = host.run("journalctl -u ipfs-%s -o cat --no-pager", node).stdout
    return sum(1 for line in out.splitlines() if line.startswith(f"Started ipfs-{node}.service"))


def secured_by_the_roles(host, node: str, version: str) -> None:
    assert host.run(f"/usr/local/bin/ipfs-{node} version --number").stdout.strip() == version[1:]
    assert host.file(f"/var/lib/ipfs-{node}/version").content_string.strip() == REPO_VERSION[version]
    assert call(host, node, "/api/v0/version") == "403"
    assert call(host, node, "/api/v0/id", *ADMIN) == "200"


def set_up_by_hand(host, node: str, version: str) -> None:
    """`ipfs init` with the release from the mirror, and ports of the node's own."""
    arch = {"x86_64": "amd64", "aarch64": "arm64"}[host.system_info.arch]
    port = PORTS[node]
    commands = [
        "init --profile server",
        f"config Addresses.API /ip4/127.0.0.1/tcp/{port}",
        f"config Addresses.Gateway /ip4/127.0.0.1/tcp/{port + 3080}",
        f"config --json Addresses.Swarm '[\"/ip4/127.0.0.1/tcp/{port - 1000}\"]'",
    ]
    script = (
        f"set -e; rm -rf /tmp/kubo-{node} && mkdir /tmp/kubo-{node}"
        f" && tar -xzf /srv/mirror/dist/kubo/{version}/kubo_{version}_linux-{arch}.tar.gz -C /tmp/kubo-{node}"
        f" && install -d -o ipfs -g ipfs -m 0700 /var/lib/ipfs-{node}"
        + "".join(f" && runuser -u ipfs -- env IPFS_PATH=/var/lib/ipfs-{node} /tmp/kubo-{node}/kubo/ipfs {c} >/dev/null"
                  for c in commands)
    )
    result = host.run(script)
    assert result.rc == 0, result.stderr


@pytest.fixture(scope="module")
def node_b(host):
    """Node b on OLD, set up by hand, then secured by the roles."""
    set_up_by_hand(host, "b", OLD)
    before = starts(host, "b")
    result = run(host, "b", OLD)
    assert result.returncode == 0, result.stdout[-3000:]
    # New to the kubo role: it starts Kubo once, not start and restart;
    # kubo_api_auth then restarts it once for the clients it adds.
    assert starts(host, "b") - before == 2, journal(host, "ipfs-b")
    return host


def test_the_roles_secure_the_oldest_release_with_rpc_authorization(host):
    set_up_by_hand(host, "c", OLDEST)
    result = run(host, "c", OLDEST)
    assert result.returncode == 0, result.stdout[-3000:]
    secured_by_the_roles(host, "c", OLDEST)
    host.run("systemctl stop ipfs-c")


def test_the_roles_secure_the_first_release_whose_client_speaks_dns_https(node_b):
    secured_by_the_roles(node_b, "b", OLD)


def test_the_upgrade_restarts_once_migrates_keeps_identity_and_clients_and_is_never_open(node_b, capsys):
    host = node_b
    before = kept(host, "b")
    host.run("rm -f /root/poll-b.txt /root/poll-b.stop")
    poller = ("while [ ! -e /root/poll-b.stop ]; do curl -s -o /dev/null -w '%{http_code}\\n' --max-time 2"
              f" -X POST http://127.0.0.1:{PORTS['b']}/api/v0/version >> /root/poll-b.txt; sleep 0.1; done")
    assert host.run("systemd-run --unit poll-b /bin/sh -c %s", poller).rc == 0
    starts_before = starts(host, "b")
    try:
        started = time.monotonic()
        upgrade = run(host, "b", PINNED)
        took = time.monotonic() - started
        time.sleep(2)
    finally:
        host.run("touch /root/poll-b.stop; sleep 1; systemctl stop poll-b")
    output = upgrade.stdout + upgrade.stderr
    assert upgrade.returncode == 0, output[-3000:] + journal(host, "ipfs-b")
    codes = host.file("/root/poll-b.txt").content_string.split()
    with capsys.disabled():
        print(f"\nupgrade {OLD} -> {PINNED}: {took:.0f} s; anonymous calls: "
              + ", ".join(f"{codes.count(c)} x {c}" for c in sorted(set(codes))))
    assert "200" not in codes, "an anonymous call succeeded during the upgrade"
    assert codes.count("403") > 20, codes
    secured_by_the_roles(host, "b", PINNED)  # the repository migrated 16 -> 18
    assert starts(host, "b") - starts_before == 1, journal(host, "ipfs-b")
    assert kept(host, "b") == before

    again = run(host, "b", PINNED)
    assert again.returncode == 0, again.stdout[-3000:]
    recap = [line for line in again.stdout.splitlines() if " : ok=" in line]
    assert recap and "changed=0" in recap[-1], again.stdout[-3000:]


def test_the_newest_release_takes_over_the_same_node(node_b):
    before = kept(node_b, "b")
    result = run(node_b, "b", NEWEST)
    assert result.returncode == 0, result.stdout[-3000:]
    secured_by_the_roles(node_b, "b", NEWEST)
    assert kept(node_b, "b") == before


def test_a_downgrade_kubo_cannot_do_is_refused_before_anything_changes(node_b):
    host = node_b
    state = ("sha256sum /usr/local/bin/ipfs-b /var/lib/ipfs-b/version /var/lib/ipfs-b/config;"
             " systemctl show -p MainPID --value ipfs-b")
    before = host.run(state).stdout
    result = run(host, "b", OLD)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output[-3000:]
    assert f"kubo_version {OLD} runs Kubo repository version 16, but /var/lib/ipfs-b is at version 18" in output, \
        output[-3000:]
    assert host.run(state).stdout == before
    assert call(host, "b", "/api/v0/version") == "403"


@pytest.mark.parametrize("version, works", [(OLD, True), (OLDEST, False)])
def test_the_guides_check_needs_a_client_of_0_34_or_newer(node_b, peer_id, version, works):
    """`ipfs id --api /dns/kubo.test/tcp/443/https` against the site, with another
    release as the client: v0.34.1 prints the site node's peer ID over TLS;
    v0.25.0 cannot (no /https in its API multiaddr), as the README says."""
    node = "b" if version == OLD else "c"
    admin_client = client("admin")
    result = node_b.run(
        "env -i PATH=/usr/bin:/bin HOME=/nonexistent SSL_CERT_FILE=%s "
        "/tmp/kubo-%s/kubo/ipfs id --api /dns/kubo.test/tcp/443/https --api-auth %s -f '<id>'",
        PEBBLE_ROOT, node, f"basic:{admin_client['username']}:{admin_client['password']}")
    if works:
        assert result.rc == 0 and result.stdout.strip() == peer_id, result.stderr
    else:
        assert result.rc != 0 and peer_id not in result.stdout, result.stdout
