"""caddy_tls_install_method: official_repo, end to end: Caddy's signed apt
repository (a local copy in Cloudsmith's layout, served by prepare.yml) as a
deb822 source with its key, caddy pinned to it and to a version, and an
upgrade from 2.10.* to 2.11.* by running the site playbook again.

The tests run in file order: the upgrade comes after the checks of the
first converge, and test_site.py (which runs after this file) sees 2.11.7.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from conftest import client, ipfs_id, journal, rpc
from kubo_checks import ansible_playbook, caddy_version

REPO_URL = "http://127.0.0.1:8088/caddy/stable/deb/debian"
MIRROR = "/srv/mirror/caddy"
SOURCES = "/etc/apt/sources.list.d/caddy-stable.sources"
PREFERENCES = "/etc/apt/preferences.d/caddy.pref"
CADDYFILE = "/etc/caddy/Caddyfile"
CERTIFICATES = "/var/lib/caddy/.local/share/caddy/certificates"
CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
UPGRADE = {"caddy_tls_package_version": "2.11.*"}
# systemd's catalog IDs of "Started <unit>" and "Reloaded <unit>"
UNIT_STARTED = "39f53479d3a045ac8e11786248231fbf"
UNIT_RELOADED = "7b05ebc668384222baa8881179cfda54"


def deb822(text: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in text.splitlines() if line and not line.startswith((" ", "#")))


def policy(host) -> tuple[dict[str, str], dict[str, int], str]:
    """`apt-cache policy caddy`: its header fields, each version's priority, the text."""
    out = host.check_output("apt-cache policy caddy")
    fields = dict(re.findall(r"^  (Installed|Candidate): (\S+)$", out, re.MULTILINE))
    versions = {v: int(p) for v, p in re.findall(r"^ (?:\*\*\*| {3}) (\S+) (-?\d+)$", out, re.MULTILINE)}
    return fields, versions, out


def installed_caddy(host) -> str:
    return host.check_output("dpkg-query -W -f '${Version}' caddy")


def sha256(host, path: str) -> str:
    return host.check_output("sha256sum %s", path).split()[0]


def certificates(host) -> str:
    """Caddy's stored certificates and keys, with their checksums."""
    return host.check_output(f"cd {CERTIFICATES} && find . -type f | LC_ALL=C sort | xargs sha256sum")


def served_certificate(host) -> str:
    """SHA-256 of the certificate Caddy presents for kubo.test."""
    code = ("import hashlib, ssl; print(hashlib.sha256(ssl.PEM_cert_to_DER_cert("
            "ssl.get_server_certificate(('kubo.test', 443)))).hexdigest())")
    return host.check_output("python3 -c %s", code)


def journal_cursor(host) -> str:
    out = host.check_output("journalctl -n 1 --show-cursor --no-pager -o cat")
    return out.rsplit("-- cursor: ", 1)[1].strip()


def caddy_events_since(host, cursor: str) -> list[dict]:
    out = host.run("journalctl -u caddy -o json --no-pager --after-cursor %s", cursor).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def changed_count(result) -> int:
    recap = re.search(r"secure-kubo-site\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", result.stdout)
    assert result.returncode == 0 and recap, (result.stdout + result.stderr)[-4000:]
    return int(recap.group(1))


def site_playbook(extra_vars: dict):
    """molecule/site/converge.yml (secure_kubo.rpc.site from the tarball) again."""
    start = time.monotonic()
    result = ansible_playbook(CONVERGE, extra_vars=extra_vars)
    result.seconds = time.monotonic() - start
    return result


# --- the first converge: caddy_tls_package_version "2.10.*" -----------------

def test_the_deb822_source_names_caddys_repository_suite_component_and_key(host):
    source = deb822(host.file(SOURCES).content_string)
    assert source["Types"] == "deb"
    assert source["URIs"] == REPO_URL
    assert (source["Suites"], source["Components"]) == ("any-version", "main")
    assert source["Signed-By"] == "/etc/apt/keyrings/caddy-stable.asc"


def test_the_signing_key_was_fetched_to_where_signed_by_points(host):
    key = host.file("/etc/apt/keyrings/caddy-stable.asc")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o644)
    assert key.content_string.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert key.content_string == host.file(f"{MIRROR}/stable/gpg.key").content_string


def test_apt_pins_caddy_to_the_repository_and_to_2_10(host):
    pref = host.file(PREFERENCES)
    assert (pref.user, pref.mode) == ("root", 0o644)
    stanzas = [deb822(s) for s in pref.content_string.split("\n\n") if "Package:" in s]
    assert stanzas == [
        {"Package": "caddy", "Pin": "version 2.10.*", "Pin-Priority": "1001"},
        {"Package": "caddy", "Pin": 'origin "127.0.0.1"', "Pin-Priority": "600"},
    ]
    fields, versions, out = policy(host)
    assert fields == {"Installed": "2.10.2", "Candidate": "2.10.2"}, out
    assert versions["2.10.2"] == 1001 and versions["2.11.7"] == 600, out
    # Debian's own caddy is known to apt but not chosen
    assert [p for v, p in versions.items() if v.startswith("2.6.")] == [500], out
    assert f"{REPO_URL} any-version/main amd64 Packages" in out


def test_caddy_2_10_2_from_the_package_runs_as_packaged(host):
    assert installed_caddy(host) == "2.10.2"
    assert caddy_version(host).startswith("v2.10.2 "), journal(host, "caddy")
    props = dict(line.split("=", 1) for line in host.check_output(
        "systemctl show caddy -p FragmentPath,Type,User,Group,ActiveState,UnitFileState").splitlines())
    assert props == {"FragmentPath": "/lib/systemd/system/caddy.service", "Type": "notify", "User": "caddy",
                     "Group": "caddy", "ActiveState": "active", "UnitFileState": "enabled"}
    user = host.user("caddy")
    assert user.uid < 1000 and user.home == "/var/lib/caddy" and user.shell == "/usr/sbin/nologin"


def test_apt_refuses_the_repository_signed_by_another_key(host):
    """The same index signed by a second key: apt, given the key the role
    installed, refuses it (own lists and cache, the host's stay untouched).
    The correctly signed repository passes the same command."""
    script = """
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
mkdir -p "$d/lists/partial" "$d/src" "$d/cache/archives/partial"
printf 'Types: deb\\nURIs: %s\\nSuites: any-version\\nComponents: main\\nSigned-By: /etc/apt/keyrings/caddy-stable.asc\\n' "$1" >"$d/src/t.sources"
apt-get update -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$d/src" \
  -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o APT::Sandbox::User=root 2>&1
"""
    good = host.run("bash -c %s _ %s", script, REPO_URL)
    assert good.rc == 0, good.stdout
    bad = host.run("bash -c %s _ %s", script, REPO_URL.replace("/stable/", "/other-key/"))
    assert bad.rc != 0, bad.stdout
    assert "NO_PUBKEY" in bad.stdout and "is not signed" in bad.stdout, bad.stdout


# --- the upgrade: the site playbook again with "2.11.*" ------------------------

@pytest.fixture(scope="module")
def upgrade(host):
    """State before, the upgrade run, and the journal of Caddy during it."""
    before = {
        "caddyfile": sha256(host, CADDYFILE),
        "certificates": certificates(host),
        "served": served_certificate(host),
        "caddy_pid": host.check_output("systemctl show -p MainPID --value caddy"),
        "ipfs_pid": host.check_output("systemctl show -p MainPID --value ipfs"),
    }
    cursor = journal_cursor(host)
    result = site_playbook(UPGRADE)
    return {"before": before, "result": result, "events": caddy_events_since(host, cursor)}


def test_the_upgrade_run_succeeds_and_installs_2_11_7(host, upgrade):
    changed = changed_count(upgrade["result"])
    assert changed >= 2  # the preferences file and the package
    assert installed_caddy(host) == "2.11.7"
    fields, versions, out = policy(host)
    assert fields == {"Installed": "2.11.7", "Candidate": "2.11.7"}, out
    assert versions["2.11.7"] == 1001 and versions["2.10.2"] == 600, out
    print(f"upgrade run: {upgrade['result'].seconds:.1f} s, changed={changed}")


def test_the_upgrade_restarted_caddy_exactly_once_and_did_not_reload_it(host, upgrade):
    events = upgrade["events"]
    started = [e for e in events if e.get("MESSAGE_ID") == UNIT_STARTED]
    reloaded = [e for e in events if e.get("MESSAGE_ID") == UNIT_RELOADED]
    processes = {e["_PID"] for e in events if str(e.get("MESSAGE", "")).startswith("caddy.Version=")}
    summary = [e.get("MESSAGE") for e in events if e.get("_PID") == "1"]
    assert len(started) == 1, summary
    assert not reloaded, summary
    assert len(processes) == 1, summary
    assert host.check_output("systemctl show -p MainPID --value caddy") != upgrade["before"]["caddy_pid"]
    assert caddy_version(host).startswith("v2.11.7 "), journal(host, "caddy")
    # Kubo was left alone
    assert host.check_output("systemctl show -p MainPID --value ipfs") == upgrade["before"]["ipfs_pid"]


def test_the_caddyfile_and_the_certificate_were_kept(host, upgrade):
    assert sha256(host, CADDYFILE) == upgrade["before"]["caddyfile"]
    # dpkg kept the operator's Caddyfile and set the package's new default aside
    assert "caddy 2.11.7 test package" in host.file(CADDYFILE + ".dpkg-dist").content_string
    assert certificates(host) == upgrade["before"]["certificates"]
    assert served_certificate(host) == upgrade["before"]["served"]


def test_after_the_upgrade_the_rpc_api_is_served_over_tls_to_clients_only(host, upgrade):
    result = ipfs_id(host, client("admin"))
    assert result.rc == 0, result.stderr + journal(host, "caddy")
    assert result.stdout.strip().startswith("12D3Koo")
    assert rpc(host, "/api/v0/id").status == 403


def test_the_same_settings_again_change_nothing(host, upgrade):
    cursor = journal_cursor(host)
    result = site_playbook(UPGRADE)
    assert changed_count(result) == 0, result.stdout[-4000:]
    started = [e for e in caddy_events_since(host, cursor) if e.get("MESSAGE_ID") in (UNIT_STARTED, UNIT_RELOADED)]
    assert not started
    print(f"second run: {result.seconds:.1f} s")
