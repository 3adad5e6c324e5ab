"""Certificates by ACME DNS-01, with Pebble validating against bind9.

The CA cannot reach this node on ports 80 and 443 (Pebble's HTTP-01 and
TLS-ALPN-01 checks go to ports where nothing listens), so every certificate
here, the wildcard included, came through TXT records that Caddy wrote into
bind9 with the TSIG key.
"""

from __future__ import annotations

import time
import uuid

import pytest
from conftest import auth_header, caddy_pid, client, converge, curl, journal, journal_leaks, rpc

ENV_FILE = "/etc/secure_kubo_rpc/caddy-dns.env"
DROP_IN = "/etc/systemd/system/caddy.service.d/secure-kubo-rpc-dns.conf"
WRONG_SECRET = "V3JvbmdUU0lHc2VjcmV0LWZvci10aGUtdGVzdC0wMDE="


def admin_call(host, name: str):
    """/api/v0/id as admin through Caddy under this name, TLS checked against Pebble's root only."""
    return curl(host, f"https://{name}/api/v0/id", "--resolve", f"{name}:443:127.0.0.1",
                "-H", f"Authorization: {auth_header(client('admin'))}")


@pytest.fixture
def secret(dns_vars) -> str:
    return dns_vars["caddy_tls_dns_credentials"]["key"]


@pytest.fixture
def restore(host):
    """Converged back to the scenario's settings after the test, whatever it left."""
    yield
    result = converge(host)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("name", ["kubo.test", "a.nodes.kubo.test"])
def test_the_plain_name_and_the_wildcard_are_served_with_certificates_from_the_ca(host, name):
    answer = admin_call(host, name)
    assert answer.status == 200, str(answer) + journal(host, "caddy")
    issued = host.run(
        "openssl s_client -connect 127.0.0.1:443 -servername %s </dev/null 2>/dev/null"
        " | openssl x509 -noout -ext subjectAltName", name).stdout
    assert ("DNS:*.nodes.kubo.test" if name.endswith(".nodes.kubo.test") else "DNS:kubo.test") in issued, issued


def test_the_ca_could_only_have_validated_by_dns(host):
    """Nothing answers where Pebble sends HTTP-01 and TLS-ALPN-01; Caddy
    solved dns-01 only, and bind9 took its signed TXT updates."""
    config = host.file("/etc/pebble/pebble-dns-config.json").content_string
    assert '"httpPort": 5002' in config and '"tlsPort": 5003' in config
    listening = host.run("ss -Hltn").stdout
    assert ":5002 " not in listening and ":5003 " not in listening, listening
    # The shared unit sets it; the drop-in unsets it (UnsetEnvironment=), so
    # look at what the running Pebble got.
    pid = host.run("systemctl show -p MainPID --value pebble").stdout.strip()
    environment = host.run("tr '\\0' '\\n' </proc/%s/environ", pid)
    assert environment.rc == 0 and "PEBBLE_VA_NOSLEEP=1" in environment.stdout, environment.stderr
    assert "PEBBLE_VA_ALWAYS_VALID" not in environment.stdout, environment.stdout
    assert "Using custom DNS resolver for ACME challenges: 127.0.0.1:53" in journal(host, "pebble", 400)
    solved = host.run("journalctl -u caddy -o cat --no-pager | grep -o '\"challenge_type\":\"[a-z0-9-]*\"' | sort -u")
    assert solved.stdout.split() == ['"challenge_type":"dns-01"'], solved.stdout
    updates = host.run("journalctl -u named -o cat --no-pager").stdout
    for record in ("_acme-challenge.kubo.test", "_acme-challenge.nodes.kubo.test"):
        assert f"/key caddy-tsig: updating zone 'kubo.test/IN': adding an RR at '{record}' TXT" in updates, updates[-2000:]


def test_the_access_log_keeps_refused_calls_only(host):
    """caddy_tls_log_calls: failed (the default): a refused call is logged with its
    method, path and status, a call Kubo answered is not, and no secret is."""
    marker = uuid.uuid4().hex
    refused = rpc(host, f"/api/v0/version?refused={marker}")
    answered = rpc(host, f"/api/v0/version?answered={marker}", client("admin"))
    assert (refused.status, answered.status) == (403, 200), f"{refused}\n{answered}"
    time.sleep(1)  # journald
    logged = host.run("journalctl -u caddy -o cat --no-pager --grep %s", marker).stdout
    assert f"refused={marker}" in logged, "the refused call is missing from the access log" + journal(host, "caddy")
    assert '"method":"POST"' in logged and '"status":403' in logged, logged
    assert f"answered={marker}" not in logged, "a call Kubo answered was logged: " + logged
    assert auth_header(client("admin")).split(" ", 1)[1] not in logged


def test_the_tsig_secret_is_only_in_the_root_only_environment_file(host, secret):
    env = host.file(ENV_FILE)
    assert (env.user, env.group, env.mode) == ("root", "root", 0o600)
    assert f'CADDY_TLS_DNS_KEY="{secret}"' in env.content_string
    assert host.file("/etc/secure_kubo_rpc").mode == 0o700
    caddyfile = host.file("/etc/caddy/Caddyfile").content_string
    assert secret not in caddyfile and "key {env.CADDY_TLS_DNS_KEY}" in caddyfile, caddyfile
    # The config Caddy runs, which every local user can read on :2019,
    # holds the placeholder, not the value.
    running = host.run("curl -sS http://localhost:2019/config/").stdout
    assert "{env.CADDY_TLS_DNS_KEY}" in running and secret not in running
    assert not journal_leaks(host, {secret})


def test_caddy_gets_the_file_from_systemd_and_does_not_print_its_environment(host):
    drop_in = host.file(DROP_IN)
    assert (drop_in.user, drop_in.mode) == ("root", 0o644)
    assert f"EnvironmentFile={ENV_FILE}" in drop_in.content_string
    exec_start = host.run("systemctl show -p ExecStart --value caddy").stdout
    assert "run --config /etc/caddy/Caddyfile" in exec_start and "--environ" not in exec_start, exec_start


def test_a_wrong_secret_fails_within_the_timeout_with_caddys_error_and_the_site_keeps_serving(
        host, secret, restore, capsys):
    """A new name and a wrong TSIG secret: Caddy restarts for the new
    credential, bind9 refuses its update, the run fails after
    caddy_tls_certificate_timeout with Caddy's error, and the names that
    have certificates keep serving. The right secret then gets the new name."""
    before = caddy_pid(host)
    # A name Caddy has never had a certificate for (it keeps them in its storage).
    new = f"new-{int(time.time())}.kubo.test"
    extra = {"caddy_tls_domains": ["kubo.test", "*.nodes.kubo.test", new],
             "caddy_tls_certificate_timeout": 20}
    started = time.monotonic()
    wrong = converge(host, {**extra, "caddy_tls_dns_credentials": {"key": WRONG_SECRET}})
    took = time.monotonic() - started
    output = wrong.stdout + wrong.stderr
    assert wrong.returncode != 0, output[-3000:]
    assert f"Caddy has no certificate for {new} after 20 s" in output, output[-3000:]
    assert "dns: bad authentication" in output, "Caddy's error is missing: " + output[-3000:]
    assert secret not in output and WRONG_SECRET not in output
    with capsys.disabled():
        print(f"\nfailed run with a wrong TSIG secret took {took:.0f} s")
    assert took < 20 + 90, f"the failed run took {took:.0f} s"
    assert caddy_pid(host) != before, "a changed credential did not restart Caddy"
    for name in ("kubo.test", "a.nodes.kubo.test"):
        assert admin_call(host, name).status == 200, f"{name} stopped serving" + journal(host, "caddy")

    right = converge(host, extra, "--diff")
    output = right.stdout + right.stderr
    assert right.returncode == 0, output[-3000:]
    assert secret not in output and WRONG_SECRET not in output
    answer = admin_call(host, new)
    assert answer.status == 200, str(answer) + journal(host, "caddy")
    assert not journal_leaks(host, {secret, WRONG_SECRET})


def test_a_provider_missing_from_the_binary_is_found_before_anything_changes(host, restore):
    files = "sha256sum /etc/caddy/Caddyfile %s %s" % (ENV_FILE, DROP_IN)
    before = (host.run(files).stdout, caddy_pid(host))
    result = converge(host, {"caddy_tls_dns_provider": "cloudflare", "caddy_tls_dns_options": {},
                             "caddy_tls_dns_credentials": {"api_token": WRONG_SECRET}})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "caddy_tls_dns_provider:" in output and "has no module dns.providers.cloudflare" in output, output[-3000:]
    assert "DNS providers in this binary: rfc2136" in output, output[-3000:]
    assert WRONG_SECRET not in output
    assert (host.run(files).stdout, caddy_pid(host)) == before
    assert rpc(host, "/api/v0/id", client("admin")).status == 200
