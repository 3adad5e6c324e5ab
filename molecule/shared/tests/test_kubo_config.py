"""The roles own API.Authorizations and API.HTTPHeaders in Kubo's config, nothing else."""

from __future__ import annotations

from conftest import KUBO_CONFIG, secrets_of

OWNED = {("API", "Authorizations"), ("API", "HTTPHeaders")}


def leaves(tree, prefix=()):
    """(path, value) for every leaf, not descending into keys the roles own."""
    if prefix in OWNED:
        return
    if isinstance(tree, dict) and tree:
        for key, value in tree.items():
            yield from leaves(value, (*prefix, key))
    else:
        yield prefix, tree


def test_kubos_identity_is_byte_for_byte_the_pristine_one(kubo_config, pristine_config):
    assert kubo_config["Identity"]["PeerID"] == pristine_config["Identity"]["PeerID"]
    assert kubo_config["Identity"]["PrivKey"] == pristine_config["Identity"]["PrivKey"]
    assert kubo_config["Identity"] == pristine_config["Identity"]


def test_every_config_key_the_roles_do_not_own_is_unchanged(kubo_config, pristine_config):
    before = dict(leaves(pristine_config))
    after = dict(leaves(kubo_config))
    changed = {
        ".".join(k): (before.get(k, "<absent>"), after.get(k, "<absent>"))
        for k in before.keys() | after.keys()
        if before.get(k, "<absent>") != after.get(k, "<absent>")
    }
    assert changed == {}


def test_the_rpc_api_stays_on_loopback_in_the_config(kubo_config):
    assert kubo_config["Addresses"]["API"] in ("/ip4/127.0.0.1/tcp/5001", ["/ip4/127.0.0.1/tcp/5001"])


def test_kubos_config_is_0600_and_owned_by_ipfs(host):
    f = host.file(KUBO_CONFIG)
    assert f.user == "ipfs"
    assert f.group == "ipfs"
    assert f.mode == 0o600, oct(f.mode)


def test_every_client_has_an_authorization_entry(kubo_config, test_vars):
    auths = kubo_config["API"]["Authorizations"]
    assert len(auths) == len(test_vars["kubo_api_auth_clients"]), sorted(auths)


def test_files_holding_secrets_are_readable_only_by_their_service(host, test_vars, kubo_config):
    """Every file outside /root that holds a client secret or the node's key
    (the config, its backups) is unreadable to other users."""
    secrets = secrets_of(test_vars["kubo_api_auth_clients"]) | {kubo_config["Identity"]["PrivKey"]}
    placeholders = " ".join(["%s"] * len(secrets))
    host.run(f"umask 077; printf '%%s\\n' {placeholders} > /root/secret-patterns", *sorted(secrets))
    found = host.run("grep -rlF -f /root/secret-patterns /etc /var /opt /srv /home /tmp /usr/local 2>/dev/null")
    host.run("rm -f /root/secret-patterns")
    files = found.stdout.split()
    assert KUBO_CONFIG in files, "the search found nothing: it is broken"
    for path in files:
        owner, group, mode = host.run("stat -c '%%U %%G %%a' %s", path).stdout.split()
        assert int(mode, 8) & 0o007 == 0, f"{path} is {mode}, readable by every user"
        assert owner == "ipfs" or (owner == "root" and int(mode, 8) & 0o070 == 0), f"{path}: {owner}:{group} {mode}"
