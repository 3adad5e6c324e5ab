"""Bad input stops the run in the preflight play, before any host changes,
with a message that names the variable.

One `ansible-playbook playbooks/preflight.yml` run covers every case: each
case is a host (local connection) whose inventory holds valid settings plus
one bad value. The preflight play only validates; nothing on this machine is
written. (The Molecule scenarios check that the real host is left unchanged.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "a-valid-password-0123"

VALID = {
    "secure_kubo_domain": "kubo.test",
    "kubo_api_auth_clients": [{"name": "ci", "username": "ci", "password": SECRET}],
}

# (case id, variable the message must name, bad value, text the message must contain)
CASES = [
    ("clients-not-a-list", "kubo_api_auth_clients", "ci:secret", "kubo_api_auth_clients"),
    ("client-without-name", "kubo_api_auth_clients", [{"username": "ci", "password": SECRET}], "name"),
    ("client-without-credentials", "kubo_api_auth_clients", [{"name": "ci"}], "exactly one of"),
    ("unknown-authsecret-prefix", "kubo_api_auth_clients", [{"name": "ci", "auth_secret": "token:abcdefghijklmnopqrst"}], "unknown prefix 'token:'"),
    ("short-password", "kubo_api_auth_clients", [{"name": "ci", "username": "ci", "password": "short"}], "at least 16"),
    ("colon-in-username", "kubo_api_auth_clients", [{"name": "ci", "username": "c:i", "password": SECRET}], "must not contain ':'"),
    ("newline-in-password", "kubo_api_auth_clients", [{"name": "ci", "username": "ci", "password": SECRET + "\nX"}], "without whitespace"),
    ("json-breaking-token", "kubo_api_auth_clients", [{"name": "ci", "token": 'abc"}, "x": {"\u0000'}], "printable ASCII"),
    ("duplicate-client-names", "kubo_api_auth_clients",
     [{"name": "ci", "username": "a", "password": SECRET}, {"name": "ci", "username": "b", "password": SECRET + "b"}], "duplicate"),
    ("path-outside-api", "kubo_api_auth_clients", [{"name": "ci", "username": "ci", "password": SECRET, "allowed_paths": ["/webui"]}], "not an RPC path"),
    ("bad-mode", "kubo_api_auth_mode", "replace", "exclusive, merge"),
    ("min-length-not-int", "kubo_api_auth_min_secret_length", "sixteen", "kubo_api_auth_min_secret_length"),
    ("min-length-zero", "kubo_api_auth_min_secret_length", 0, "positive integer"),
    ("public-api-address", "kubo_api_auth_api_address", "/ip4/0.0.0.0/tcp/5001", "not on loopback"),
    ("origin-without-scheme", "kubo_api_auth_cors_origins", ["app.example.com"], "scheme://host"),
    ("wildcard-origin", "kubo_api_auth_cors_origins", ["*"], "every web page"),
    ("restart-not-bool", "kubo_api_auth_restart", "maybe", "kubo_api_auth_restart"),
    ("domain-newline-injection", "caddy_tls_domains", ["kubo.test\n\trespond 200"], "caddy_tls_domains[0]"),
    ("domain-brace-injection", "caddy_tls_domains", ["kubo.test {"], "caddy_tls_domains[0]"),
    ("domain-with-scheme", "caddy_tls_domains", ["https://kubo.test"], "caddy_tls_domains[0]"),
    ("domain-with-port", "caddy_tls_domains", ["kubo.test:8443"], "caddy_tls_domains[0]"),
    ("domain-with-path", "caddy_tls_domains", ["kubo.test/api"], "caddy_tls_domains[0]"),
    ("no-domain", "caddy_tls_domains", [], "caddy_tls_domains"),
    ("remote-upstream", "caddy_tls_upstream", "10.1.2.3:5001", "caddy_tls_upstream"),
    ("upstream-port-out-of-range", "caddy_tls_upstream", "127.0.0.1:99999", "caddy_tls_upstream"),
    ("bad-email", "caddy_tls_email", "not-an-email", "caddy_tls_email"),
    ("plain-http-acme-ca", "caddy_tls_acme_ca", "http://ca.example/dir", "caddy_tls_acme_ca"),
    ("bad-tls-mode", "caddy_tls_mode", "selfsigned", "caddy_tls_mode"),
    ("port-out-of-range", "caddy_tls_https_port", 70000, "caddy_tls_https_port"),
    ("negative-certificate-timeout", "caddy_tls_certificate_timeout", -5, "caddy_tls_certificate_timeout"),
    ("restart-timeout-not-int", "kubo_api_auth_restart_timeout", "soon", "kubo_api_auth_restart_timeout"),
    ("hsts-injection", "caddy_tls_hsts", "max-age=1\n}\n:80 {", "caddy_tls_hsts"),
    ("unbalanced-extra-directive", "caddy_tls_extra_directives", ["}"], "caddy_tls_extra_directives[0]"),
    ("caddy-origin-without-scheme", "caddy_tls_cors_origins", ["app.example.com"], "caddy_tls_cors_origins[0]"),
    ("bad-log-level", "caddy_tls_log_level", "LOUD", "caddy_tls_log_level"),
    ("unknown-install-method", "kubo_install_method", "curl", "kubo_install_method"),
    ("version-not-pinned", "kubo_version", "latest", "kubo_version"),
    ("relative-repo-path", "kubo_repo_path", "ipfs", "kubo_repo_path"),
    # The hardened unit's ProtectHome=true hides these from Kubo.
    ("repo-under-home-with-protecthome", "kubo_repo_path", "/home/alice/.ipfs", "kubo_systemd_hardening: false"),
    ("repo-under-root-with-protecthome", "kubo_repo_path", "/root/.ipfs", "kubo_systemd_hardening: false"),
    # Commands are argv lists, run without a shell.
    ("restart-command-a-string", "kubo_api_auth_restart_command", "podman restart ipfs", "list of arguments"),
    ("restart-command-empty-string", "kubo_api_auth_restart_command", "", "list of arguments"),
    ("logs-command-empty-argument", "kubo_api_auth_logs_command", ["podman", "", "logs"], "non-empty string"),
    # Fail closed (an empty API.Authorizations turns Kubo's authorization off)
    ("no-client-left", "kubo_api_auth_clients", [], "would leave API.Authorizations empty"),
    ("open-api-still-published", "kubo_api_auth_allow_open_api", True, "caddy_tls_state: absent"),
    # Credentials as Kubo compares them (the Authorization header)
    ("one-credential-two-spellings", "kubo_api_auth_clients",
     [{"name": "a", "token": SECRET}, {"name": "b", "auth_secret": "bearer:" + SECRET}], "same credentials as client a"),
    ("literal-basic-empty-password", "kubo_api_auth_clients", [{"name": "ci", "auth_secret": "basic:a-long-user-name-xyz:"}],
     "the password is 0 characters long"),
    # Values judged as Kubo, browsers and Caddy's lexer read them
    ("origin-trailing-newline", "kubo_api_auth_cors_origins", ["https://kubo.test\n"], "line break"),
    ("domain-trailing-newline", "caddy_tls_domains", ["kubo.test\n"], "line break"),
    ("header-name-trailing-newline", "caddy_tls_cors_allow_headers", ["Authorization\n"], "not a valid HTTP header name"),
    ("no-break-space-before-brace", "caddy_tls_extra_directives", ["header X-A a\u00a0{", "}"], "U+00A0"),
    ("env-placeholder-in-directive", "caddy_tls_extra_directives", ["respond {$SECRET"], "{env.NAME}"),
    ("import-as-domain", "caddy_tls_domains", ["import"], "import directive"),
    ("bad-caddy-state", "caddy_tls_state", "removed", "caddy_tls_state"),
    # A package version goes into an apt preferences file and an apt package spec
    ("caddy-version-injection", "caddy_tls_package_version", "2.10.*\nPin-Priority: 1001", "as apt writes it"),
    ("caddy-version-without-official-repo", "caddy_tls_package_version", "2.10.*", "official_repo"),
    # Certificates by ACME DNS-01
    ("dns-provider-without-credentials", "caddy_tls_dns_provider", "rfc2136", "caddy_tls_dns_credentials: the DNS provider rfc2136"),
    ("dns-credentials-without-provider", "caddy_tls_dns_credentials", {"key": SECRET}, "caddy_tls_dns_provider is empty"),
    ("dns-credential-with-a-line-break", "caddy_tls_dns_credentials", {"key": SECRET + "\nX"}, "printable ASCII"),
    ("dns-secret-among-the-options", "caddy_tls_dns_options", {"api_token": SECRET}, "looks like a secret"),
    ("dns-provider-name-injection", "caddy_tls_dns_provider", "rfc2136 {", "caddy_tls_dns_provider"),
    ("dns-with-the-internal-ca", "caddy_tls_mode", "internal", "DNS-01 is a challenge of an ACME CA"),
    ("dns-propagation-timeout-not-a-duration", "caddy_tls_dns_propagation_timeout", "soon", "not a duration"),
    ("wildcard-without-dns-01", "caddy_tls_domains", ["*.kubo.test"], "only the ACME DNS-01 challenge"),
]
DNS = {"caddy_tls_dns_provider": "rfc2136", "caddy_tls_dns_credentials": {"key": SECRET}}
# Settings a case needs besides its bad value.
ALSO = {
    "open-api-still-published": {"kubo_api_auth_clients": []},
    "caddy-version-injection": {"caddy_tls_install_method": "official_repo"},
    "caddy-version-without-official-repo": {"caddy_tls_install_method": "package"},
    "dns-credential-with-a-line-break": {"caddy_tls_dns_provider": "rfc2136"},
    "dns-secret-among-the-options": DNS,
    "dns-provider-name-injection": {"caddy_tls_dns_credentials": {"key": SECRET}},
    "dns-with-the-internal-ca": DNS,
    "dns-propagation-timeout-not-a-duration": DNS,
}


@pytest.fixture(scope="module")
def preflight(tmp_path_factory) -> dict[str, str]:
    """Run the preflight play once for all cases; return each host's failure output."""
    tmp = tmp_path_factory.mktemp("preflight")
    hosts = {}
    for case, variable, value, _expected in CASES:
        hosts[case] = {**VALID, variable: value, **ALSO.get(case, {})}
    hosts["all-valid"] = dict(VALID)
    hosts["all-valid-dns-01"] = {**VALID, **DNS, "caddy_tls_domains": ["kubo.test", "*.kubo.test"],
                                 "caddy_tls_dns_options": {"server": "ns.kubo.test:53", "key_name": "caddy", "key_alg": "hmac-sha256"},
                                 "caddy_tls_dns_resolvers": ["127.0.0.1"], "caddy_tls_dns_propagation_timeout": "90s"}
    # ansible_become: the preflight play becomes root, which this local run already is (without sudo).
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "ansible_become": False}
    inventory = {"kubo_rpc": {"hosts": hosts, "vars": local}}
    (tmp / "inventory.yml").write_text(yaml.safe_dump(inventory))
    # This checkout, and nothing else, provides secure_kubo.rpc.
    (tmp / "ansible_collections" / "secure_kubo").mkdir(parents=True)
    (tmp / "ansible_collections" / "secure_kubo" / "rpc").symlink_to(ROOT)
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORKS": "8", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
           "ANSIBLE_COLLECTIONS_PATH": str(tmp)}
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp / "inventory.yml"), str(ROOT / "playbooks" / "preflight.yml")],
                            capture_output=True, text=True, env=env, check=False, cwd=ROOT)
    output = result.stdout + result.stderr
    failures = {}
    for case in hosts:
        lines = [line for line in output.splitlines() if re.search(rf"(fatal|failed): \[{re.escape(case)}\]", line)]
        failures[case] = "\n".join(lines)
    failures["__recap__"] = output[output.find("PLAY RECAP"):]
    return failures


@pytest.mark.parametrize(("case", "variable", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_value_fails_preflight_naming_the_variable(preflight, case, variable, value, expected):
    message = preflight[case]
    assert message, f"{case}: preflight accepted {variable}={value!r}\n{preflight['__recap__']}"
    assert variable in message, message
    assert expected in message, message
    assert SECRET not in message, "a secret leaked into the error"


@pytest.mark.parametrize("host", ["all-valid", "all-valid-dns-01"])
def test_valid_settings_pass_preflight(preflight, host):
    assert preflight[host] == ""
    assert re.search(rf"{host}\s+: ok=\d+ +changed=0 +unreachable=0 +failed=0", preflight["__recap__"])
