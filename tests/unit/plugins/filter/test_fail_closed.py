# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The classes of the outside review ("Fail closed"), at the level of the filters.

Each class is tested by its neighbours, not only by the example that found it:
every way to end with an open API, every spelling of one origin and of one
credential, every string setting with a trailing newline, every Unicode blank
before a brace. The live end state is tested by Molecule (faults, default).
"""

from __future__ import annotations

import ast
import base64
import re
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.secure_kubo.rpc.plugins.filter.caddyfile import render_caddyfile
from ansible_collections.secure_kubo.rpc.plugins.filter.kubo_api_merge import kubo_api_merge
from ansible_collections.secure_kubo.rpc.plugins.module_utils import _validate
from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_auth import authorization_header
from ansible_collections.secure_kubo.rpc.tests.unit.kubo_samples import PASSWORD, TOKEN, kubo_config

HASH = "$2a$14$QAULm/b88x1/JSp4aGXTi.pm.xCLFptT5Jffqu42Na3.QnnCkTMLy"


@pytest.fixture
def config() -> dict:
    return kubo_config()


def kubo_error(config, clients, **kwargs) -> str:
    with pytest.raises(AnsibleFilterError) as info:
        kubo_api_merge(config, clients, var_prefix="kubo_api_auth_", **kwargs)
    return str(info.value)


def caddy_error(**settings) -> str:
    settings.setdefault("domains", ["kubo.example.com"])
    with pytest.raises(AnsibleFilterError) as info:
        render_caddyfile(settings)
    return str(info.value)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# ------------------------------------------ 1. no result opens the API


@pytest.mark.parametrize("mode", ["exclusive", "merge"])
def test_no_client_at_all_is_refused_naming_the_variable_and_the_safe_way(config, mode):
    message = kubo_error(config, [], mode=mode)
    assert message.startswith("kubo_api_merge: kubo_api_auth_clients: would leave API.Authorizations empty"), message
    assert "caddy_tls_state: absent" in message and "kubo_api_auth_allow_open_api: true" in message


def test_removing_the_last_client_in_exclusive_mode_is_refused(config):
    config["API"]["Authorizations"] = {"ci": {"AuthSecret": f"basic:ci:{PASSWORD}", "AllowedPaths": ["/api/v0"]}}
    assert "would leave API.Authorizations empty" in kubo_error(config, [])


def test_merge_mode_counts_the_entries_already_in_the_config(config):
    config["API"]["Authorizations"] = {"manual": {"AuthSecret": f"bearer:{TOKEN}", "AllowedPaths": ["/api/v0"]}}
    assert list(kubo_api_merge(config, [], mode="merge")["API"]["Authorizations"]) == ["manual"]


@pytest.mark.parametrize("mode", ["exclusive", "merge"])
def test_an_open_api_only_when_asked_for(config, mode):
    merged = kubo_api_merge(config, [], mode=mode, allow_open_api=True)
    assert not merged["API"].get("Authorizations")


# ---------------------------------- 2. one core, one form, one error

# (as written, the Origin header a browser sends for it)
ORIGIN_SPELLINGS = [
    ("https://App.example.com:443", "https://app.example.com"),
    ("https://app.example.com/", "https://app.example.com"),
    ("HTTPS://APP.EXAMPLE.COM", "https://app.example.com"),
    ("http://app.example.com:80/", "http://app.example.com"),
    ("https://app.example.com:8443", "https://app.example.com:8443"),
    ("https://B\u00fccher.example", "https://xn--bcher-kva.example"),
    ("http://[0:0:0:0:0:0:0:1]:3000", "http://[::1]:3000"),
    ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
]

BAD_ORIGINS = [
    "*", "app.example.com", "https://app.example.com/app", "https://app.example.com?x=1",
    "https://app.example.com#x", "https://user@app.example.com", "https://*.example.com",
    "ftp://app.example.com", "https://app.example.com:99999", "https://app.example.com\n",
    "https://app.example.com\u00a0", "https://app\u2028.example.com", "https://", "https://127.1",
    "https://app.example.com\u200b", "https://app.example.com {", "https://app.example.com \"x",
    "", 7,
]


def caddy_origins(origins: list) -> list[str]:
    text = render_caddyfile({"domains": ["kubo.example.com"], "cors_origins": origins})
    block = text[text.index("@cors_origin {"):]
    return re.findall(r'header Origin "([^"]*)"', block[:block.index("}")])


@pytest.mark.parametrize(("written", "canonical"), ORIGIN_SPELLINGS)
def test_both_filters_write_an_origin_in_the_form_browsers_send(config, written, canonical):
    kubo = kubo_api_merge(config, [{"name": "ci", "token": TOKEN}], cors_origins=[written])
    assert kubo["API"]["HTTPHeaders"]["Access-Control-Allow-Origin"] == [canonical]
    assert caddy_origins([written]) == [canonical]


@pytest.mark.parametrize("bad", BAD_ORIGINS, ids=repr)
def test_both_filters_refuse_a_bad_origin_with_one_message(config, bad):
    kubo = kubo_error(config, [{"name": "ci", "token": TOKEN}], cors_origins=[bad])
    caddy = caddy_error(cors_origins=[bad])
    assert kubo.startswith("kubo_api_merge: kubo_api_auth_cors_origins[0]: "), kubo
    assert caddy.startswith("caddyfile: caddy_tls_cors_origins[0]: "), caddy
    assert kubo.split(": ", 2)[2] == caddy.split(": ", 2)[2]


def test_two_spellings_of_one_origin_are_refused_by_both(config):
    origins = ["https://app.example.com", "https://App.example.com:443/"]
    assert "is listed twice" in kubo_error(config, [{"name": "ci", "token": TOKEN}], cors_origins=origins)
    assert "is listed twice" in caddy_error(cors_origins=origins)


origin_parts = st.tuples(
    st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
    st.sampled_from(["app.example.com", "App.Example.COM", "b\u00fccher.example", "127.0.0.1", "[::1]", "*.x.com", "", "a b"]),
    st.sampled_from(["", ":443", ":80", ":8080", ":0", ":x"]),
    st.sampled_from(["", "/", "/p", "?q", "\n", "\u00a0", "{"]),
)


@settings(max_examples=300, deadline=None)
@given(origin_parts)
def test_for_any_origin_the_filters_agree(parts):
    """Either both refuse with the same message, or both write the same form."""
    scheme, host, port, tail = parts
    written = f"{scheme}://{host}{port}{tail}" if scheme else f"{host}{port}{tail}"
    config = {"Identity": {"PeerID": "x"}}
    try:
        kubo = kubo_api_merge(config, [{"name": "ci", "token": TOKEN}], cors_origins=[written])
        kubo_result = ("ok", kubo["API"]["HTTPHeaders"]["Access-Control-Allow-Origin"])
    except AnsibleFilterError as error:
        kubo_result = ("refused", str(error).split(": ", 2)[2])
    try:
        caddy_result = ("ok", caddy_origins([written]))
    except AnsibleFilterError as error:
        caddy_result = ("refused", str(error).split(": ", 2)[2])
    assert kubo_result == caddy_result, written


# ---------------------------------- 3. values judged as the parsers read them

TRAILING = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]

CADDY_STRING_SETTINGS = {
    "domains": lambda t: {"domains": ["kubo.example.com" + t]},
    "upstream": lambda t: {"upstream": "127.0.0.1:5001" + t},
    "email": lambda t: {"email": "admin@example.com" + t},
    "acme_ca": lambda t: {"acme_ca": "https://127.0.0.1:14000/dir" + t},
    "acme_ca_root": lambda t: {"acme_ca": "https://a.example/dir", "acme_ca_root": "/etc/ca.pem" + t},
    "hsts": lambda t: {"hsts": "max-age=600" + t},
    "cors_origins": lambda t: {"cors_origins": ["https://app.example.com" + t]},
    "cors_allow_headers": lambda t: {"cors_allow_headers": ["Authorization" + t]},
    "log_file": lambda t: {"log_output": "file", "log_file": "/var/log/caddy/a.log" + t},
    "log_roll_size": lambda t: {"log_output": "file", "log_roll_size": "10MiB" + t},
    "log_level": lambda t: {"log_level": "INFO" + t},
    "log_output": lambda t: {"log_output": "stdout" + t},
    "mode": lambda t: {"mode": "acme" + t},
    "state": lambda t: {"state": "present" + t},
    "extra_directives": lambda t: {"extra_directives": ["encode gzip" + t]},
    "basic_auth_users.username": lambda t: {"basic_auth_users": [{"username": "alice" + t, "password_hash": HASH}]},
    "basic_auth_users.password_hash": lambda t: {"basic_auth_users": [{"username": "alice", "password_hash": HASH + t}]},
}


@pytest.mark.parametrize("tail", TRAILING, ids=repr)
@pytest.mark.parametrize("setting", sorted(CADDY_STRING_SETTINGS))
def test_every_caddy_string_setting_refuses_a_trailing_line_break(setting, tail):
    message = caddy_error(**CADDY_STRING_SETTINGS[setting](tail))
    assert message.startswith("caddyfile: caddy_tls_" + setting.split(".")[0]), message


def basic_client(**changes) -> dict:
    return {"name": "ci", "username": "ci", "password": PASSWORD, **changes}


KUBO_STRING_SETTINGS = {
    "clients[0].name": lambda t: {"clients": [basic_client(name="ci" + t)]},
    "clients[0].username": lambda t: {"clients": [basic_client(username="ci" + t)]},
    "clients[0].password": lambda t: {"clients": [basic_client(password=PASSWORD + t)]},
    "clients[0].token": lambda t: {"clients": [{"name": "t", "token": TOKEN + t}]},
    "clients[0].auth_secret": lambda t: {"clients": [{"name": "t", "auth_secret": f"bearer:{TOKEN}" + t}]},
    "clients[0].allowed_paths": lambda t: {"clients": [basic_client(allowed_paths=["/api/v0/pin/" + t])]},
    "cors_origins": lambda t: {"cors_origins": ["https://app.example.com" + t]},
    "api_address": lambda t: {"api_address": "/ip4/127.0.0.1/tcp/5001" + t},
    "mode": lambda t: {"mode": "merge" + t},
}


@pytest.mark.parametrize("tail", TRAILING, ids=repr)
@pytest.mark.parametrize("setting", sorted(KUBO_STRING_SETTINGS))
def test_every_kubo_string_setting_refuses_a_trailing_line_break(config, setting, tail):
    kwargs = KUBO_STRING_SETTINGS[setting](tail)
    clients = kwargs.pop("clients", [basic_client()])
    message = kubo_error(config, clients, **kwargs)
    assert message.startswith("kubo_api_merge: kubo_api_auth_" + setting.split("[")[0].split(".")[0]), message
    assert PASSWORD not in message and TOKEN not in message


def test_no_check_in_the_collection_matches_only_a_prefix():
    """`re.match(r"^...$")` accepts "valid\\n"; every check uses fullmatch instead."""
    root = Path(__file__).resolve().parents[4]
    for path in [*root.glob("plugins/**/*.py"), *root.glob("roles/*/files/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "match":
                raise AssertionError(f"{path}:{node.lineno}: use fullmatch")
            is_re_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "re"
            pattern = node.args[0] if is_re_call and node.args else None
            if isinstance(pattern, ast.Constant) and str(pattern.value).endswith("$"):
                raise AssertionError(f"{path}:{node.lineno}: a pattern anchored with $: {pattern.value!r}")


@pytest.mark.parametrize("blank", sorted(_validate.GO_SPACE - {" ", "\t", "\n", "\r"}), ids=lambda c: f"U+{ord(c):04X}")
def test_a_unicode_blank_before_a_brace_never_reaches_caddy(blank):
    # The review's attack: Caddy splits at the blank, sees a block opener, and
    # the later lone brace closes the site block early.
    attack = [f"header X-A a{blank}{{", "}", "}", ":8080 {", "reverse_proxy 127.0.0.1:5001", "}", "x {"]
    message = caddy_error(extra_directives=attack)
    assert message.startswith("caddyfile: caddy_tls_extra_directives[0]: "), message


@pytest.mark.parametrize("blank", sorted(_validate.GO_SPACE - {" "}), ids=lambda c: f"U+{ord(c):04X}")
def test_a_unicode_blank_in_a_quoted_value_is_refused_too(blank):
    message = caddy_error(basic_auth_users=[{"username": f"al{blank}ice", "password_hash": HASH}])
    assert "caddy_tls_basic_auth_users[0].username" in message


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['respond "}"'], "a quoted \"}\" still counts"),
        (['"}"'], "a quoted \"}\" still counts"),
        (['header X-A "{"', "}"], "a quoted \"{\" still counts"),
        (['"import" /etc/passwd'], "a quoted \"import\" still counts"),
        (["import /etc/caddy/other"], "import is not allowed here"),
        (["respond {$SECRET}"], "contains '{$'"),
        (["# see {$HOME"], "contains '{$'"),
        (["header X-A a # comment \\"], "backslash in a comment"),
        (["header X-A a # a\\b"], "backslash in a comment"),
        (["header X-A a\\"], "backslash at the start or end of a token"),
        (["header X-A a\\ b"], "backslash at the start or end of a token"),
        (["\\# header"], "backslash at the start or end of a token"),
        (["respond <<EOF"], "starts a heredoc"),
        (["header X-A a\u200b{", "}"], "invisible"),
        (["header X-A a\ufeff"], "invisible"),
    ],
)
def test_extra_directives_caddy_would_read_otherwise_are_refused(lines, expected):
    message = caddy_error(extra_directives=lines)
    assert expected in message, message


# ---------------------------------- 4. credentials as Kubo compares them


def test_the_header_is_computed_as_kubo_does():
    assert authorization_header(f"basic:ci:{PASSWORD}") == "Basic " + b64(f"ci:{PASSWORD}")
    assert authorization_header("basic:" + b64(f"ci:{PASSWORD}")) == "Basic " + b64(f"ci:{PASSWORD}")
    assert authorization_header(f"bearer:{TOKEN}") == authorization_header(TOKEN) == f"Bearer {TOKEN}"
    assert authorization_header("token:x") == ""
    assert authorization_header("Basic:ci:x") == ""


SAME_CREDENTIALS = [
    ({"username": "ci", "password": PASSWORD}, {"auth_secret": f"basic:ci:{PASSWORD}"}),
    ({"username": "ci", "password": PASSWORD}, {"auth_secret": "basic:" + b64(f"ci:{PASSWORD}")}),
    ({"auth_secret": f"basic:ci:{PASSWORD}"}, {"auth_secret": "basic:" + b64(f"ci:{PASSWORD}")}),
    ({"token": TOKEN}, {"auth_secret": TOKEN}),
    ({"token": TOKEN}, {"auth_secret": f"bearer:{TOKEN}"}),
    ({"auth_secret": TOKEN}, {"auth_secret": f"bearer:{TOKEN}"}),
]


@pytest.mark.parametrize(("first", "second"), SAME_CREDENTIALS)
def test_one_credential_in_two_spellings_is_refused(config, first, second):
    message = kubo_error(config, [{"name": "a", **first}, {"name": "b", **second}])
    assert message.startswith("kubo_api_merge: kubo_api_auth_clients[1] (b): has the same credentials as client a"), message
    assert PASSWORD not in message and TOKEN not in message


@pytest.mark.parametrize(("new", "existing"), SAME_CREDENTIALS)
def test_merge_mode_compares_with_the_entries_already_in_the_config(config, new, existing):
    secret = existing.get("auth_secret") or f"bearer:{existing.get('token')}"
    config["API"]["Authorizations"] = {"manual": {"AuthSecret": secret, "AllowedPaths": ["/api/v0/id"]}}
    message = kubo_error(config, [{"name": "ci", **new}], mode="merge")
    assert "has the same credentials as the entry 'manual' already in API.Authorizations" in message, message


def test_merge_mode_refuses_a_config_whose_own_entries_collide(config):
    config["API"]["Authorizations"] = {
        "a": {"AuthSecret": f"bearer:{TOKEN}", "AllowedPaths": ["/api/v0"]},
        "b": {"AuthSecret": TOKEN, "AllowedPaths": ["/api/v0/id"]},
    }
    message = kubo_error(config, [basic_client()], mode="merge")
    assert message.startswith("kubo_api_merge: config: API.Authorizations entries 'a' and 'b'"), message


def test_replacing_an_entry_by_name_is_not_a_collision(config):
    config["API"]["Authorizations"] = {"ci": {"AuthSecret": f"basic:ci:{PASSWORD}", "AllowedPaths": ["/api/v0"]}}
    merged = kubo_api_merge(config, [basic_client(allowed_paths=["/api/v0/id"])], mode="merge")
    assert merged["API"]["Authorizations"]["ci"]["AllowedPaths"] == ["/api/v0/id"]


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("basic:averyveryverylongusername:", "the password is 0 characters long"),
        ("basic:ci:short", "the password is 5 characters long"),
        (f"basic::{PASSWORD}", "empty user name"),
        ("basic:" + b64("averyveryverylongusername:"), "the password is 0 characters long"),
        ("basic:" + b64(f":{PASSWORD}"), "empty user name"),
        ("basic:" + b64(f"ci:{PASSWORD}!").rstrip("="), "standard, padded base64"),
        ("basic:" + b64(f"ci:{PASSWORD}?>>").replace("+", "-").replace("/", "_"), "standard, padded base64"),
        ("basic:" + b64("no-colon-in-here-at-all"), "standard, padded base64"),
        ("basic:" + b64("ci:pass word with blanks"), "printable ASCII"),
        ("bearer:", "the token is 0 characters long"),
        ("bearer:short", "the token is 5 characters long"),
        ("short", "the token is 5 characters long"),
        ("token:" + TOKEN, "unknown prefix 'token:'"),
    ],
)
def test_a_literal_auth_secret_gets_the_checks_of_the_structured_forms(config, secret, expected):
    message = kubo_error(config, [{"name": "lit", "auth_secret": secret}])
    assert message.startswith("kubo_api_merge: kubo_api_auth_clients[0] (lit).auth_secret: "), message
    assert expected in message, message
    assert PASSWORD not in message and "averyveryverylongusername" not in message


@pytest.mark.parametrize(
    "secret",
    [f"basic:ci:{PASSWORD}", "basic:" + b64(f"ci:{PASSWORD}"), f"basic:ci:{PASSWORD}:with:colons", f"bearer:{TOKEN}", TOKEN],
)
def test_literal_auth_secrets_in_good_form_are_kept(config, secret):
    merged = kubo_api_merge(config, [{"name": "lit", "auth_secret": secret}])
    assert merged["API"]["Authorizations"]["lit"]["AuthSecret"] == secret
