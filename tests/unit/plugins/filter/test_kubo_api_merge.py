"""Unit tests for the kubo_api_merge filter."""

from __future__ import annotations

import copy
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.filter.kubo_api_merge import FilterModule, kubo_api_merge
from ansible_collections.secure_kubo.rpc.tests.unit.kubo_samples import KUBO_CONFIG_FILE, PASSWORD, TOKEN, kubo_config


@pytest.fixture
def config() -> dict:
    """A real config written by `ipfs init --profile server` (Kubo v0.42.0)."""
    return kubo_config()


def basic(name="ci", user="ci", password=PASSWORD, **extra):
    return {"name": name, "username": user, "password": password, **extra}


def merge(config, clients=None, **kwargs):
    return kubo_api_merge(config, [basic()] if clients is None else clients, **kwargs)


# --- what the merge writes -------------------------------------------------


def test_basic_client_becomes_basic_auth_secret_with_full_rpc_access(config):
    result = merge(config)
    assert result["API"]["Authorizations"] == {
        "ci": {"AuthSecret": f"basic:ci:{PASSWORD}", "AllowedPaths": ["/api/v0"]}
    }


def test_token_client_becomes_bearer_secret_with_its_allowed_paths(config):
    client = {"name": "pinner", "token": TOKEN, "allowed_paths": ["/api/v0/pin/", "/api/v0/add"]}
    result = merge(config, [client])
    assert result["API"]["Authorizations"]["pinner"] == {
        "AuthSecret": f"bearer:{TOKEN}",
        "AllowedPaths": ["/api/v0/pin/", "/api/v0/add"],
    }


@pytest.mark.parametrize("secret", [f"bearer:{TOKEN}", f"basic:ops:{PASSWORD}", "basic:b3BzOmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ==", TOKEN])
def test_literal_auth_secret_in_a_form_kubo_accepts_is_written_unchanged(config, secret):
    result = merge(config, [{"name": "lit", "auth_secret": secret}])
    assert result["API"]["Authorizations"]["lit"]["AuthSecret"] == secret


def test_cors_origins_and_credentials_are_set_and_other_headers_kept(config):
    config["API"]["HTTPHeaders"] = {"Server": ["kubo"], "Access-Control-Allow-Origin": ["https://old.example"]}
    result = merge(config, cors_origins=["https://ipfs.example.com"])
    assert result["API"]["HTTPHeaders"] == {
        "Server": ["kubo"],
        "Access-Control-Allow-Origin": ["https://ipfs.example.com"],
        "Access-Control-Allow-Credentials": ["true"],
    }


def test_exclusive_mode_without_origins_removes_managed_cors_headers_only(config):
    config["API"]["HTTPHeaders"] = {"Server": ["kubo"], "Access-Control-Allow-Origin": ["*"], "Access-Control-Allow-Credentials": ["true"]}
    result = merge(config)
    assert result["API"]["HTTPHeaders"] == {"Server": ["kubo"]}


def test_credentials_header_can_be_left_out(config):
    result = merge(config, cors_origins=["https://a.example"], cors_allow_credentials=False)
    assert "Access-Control-Allow-Credentials" not in result["API"]["HTTPHeaders"]


def test_api_address_defaults_to_loopback_5001(config):
    config["Addresses"]["API"] = "/ip4/127.0.0.1/tcp/5999"
    assert merge(config)["Addresses"]["API"] == "/ip4/127.0.0.1/tcp/5001"


@pytest.mark.parametrize("address", [
    "/ip4/127.0.0.1/tcp/5002", "/ip6/::1/tcp/5001", "/unix/run/ipfs/api.sock", ["/ip4/127.0.0.1/tcp/5001", "/ip6/::1/tcp/5001"],
])
def test_loopback_and_unix_api_addresses_are_accepted(config, address):
    assert merge(config, api_address=address)["Addresses"]["API"] == address


def test_public_api_address_is_accepted_only_when_explicitly_allowed(config):
    result = merge(config, api_address="/ip4/0.0.0.0/tcp/5001", allow_public_api=True)
    assert result["Addresses"]["API"] == "/ip4/0.0.0.0/tcp/5001"


# --- nothing else is touched -----------------------------------------------


def test_every_other_key_of_a_real_config_is_preserved_exactly(config):
    original = copy.deepcopy(config)
    result = merge(config, cors_origins=["https://ipfs.example.com"])
    assert config == original, "the input must not be modified"
    for key in original:
        if key not in ("API", "Addresses"):
            assert result[key] == original[key], key
    assert result["Identity"] == original["Identity"]
    assert {k: v for k, v in result["Addresses"].items() if k != "API"} == {k: v for k, v in original["Addresses"].items() if k != "API"}


def test_key_order_is_kept_so_the_file_diffs_cleanly(config):
    result = merge(config, cors_origins=["https://ipfs.example.com"])
    assert list(result) == list(config)
    assert list(result["Addresses"]) == list(config["Addresses"])
    # With the API section set aside, the serialised files are identical text.
    assert without_api(result) == without_api(config)


def without_api(config: dict) -> str:
    return json.dumps({k: v for k, v in config.items() if k != "API"}, indent=2)


def test_unchanged_kubo_file_serialises_byte_for_byte_like_kubo():
    """json.dumps(indent=2) reproduces Kubo's own file, so an untouched file never churns."""
    text = KUBO_CONFIG_FILE.read_text()
    assert json.dumps(json.loads(text), indent=2, ensure_ascii=False) == text


def test_config_without_api_section_gets_one_appended(config):
    del config["API"]
    result = merge(config)
    assert list(result)[-1] == "API"
    assert result["API"]["Authorizations"]["ci"]["AllowedPaths"] == ["/api/v0"]


def test_merging_twice_equals_merging_once(config):
    kwargs = {"cors_origins": ["https://a.example"], "api_address": "/ip4/127.0.0.1/tcp/5001"}
    clients = [basic(), {"name": "pinner", "token": TOKEN, "allowed_paths": ["/api/v0/pin/"]}]
    once = kubo_api_merge(config, clients, **kwargs)
    twice = kubo_api_merge(once, clients, **kwargs)
    assert twice == once
    assert json.dumps(twice, indent=2) == json.dumps(once, indent=2)


# --- ownership modes -------------------------------------------------------


def test_exclusive_mode_removes_entries_it_does_not_manage(config):
    config["API"]["Authorizations"] = {"old": {"AuthSecret": "bearer:revoked-token-0000", "AllowedPaths": ["/api/v0"]}}
    result = merge(config)
    assert list(result["API"]["Authorizations"]) == ["ci"]


def test_exclusive_mode_with_no_clients_empties_authorizations_only_when_allowed(config):
    config["API"]["Authorizations"] = {"old": {"AuthSecret": "bearer:revoked-token-0000", "AllowedPaths": ["/api/v0"]}}
    assert merge(config, [], allow_open_api=True)["API"]["Authorizations"] == {}


def test_merge_mode_keeps_other_entries_and_updates_managed_ones(config):
    config["API"]["Authorizations"] = {
        "manual": {"AuthSecret": "bearer:hand-made-token-000", "AllowedPaths": ["/api/v0/id"]},
        "ci": {"AuthSecret": "basic:ci:old-password-0000000", "AllowedPaths": ["/api/v0"]},
    }
    result = merge(config, mode="merge")
    assert list(result["API"]["Authorizations"]) == ["manual", "ci"]
    assert result["API"]["Authorizations"]["manual"]["AuthSecret"] == "bearer:hand-made-token-000"
    assert result["API"]["Authorizations"]["ci"]["AuthSecret"] == f"basic:ci:{PASSWORD}"


def test_merge_mode_adds_origins_to_existing_ones(config):
    config["API"]["HTTPHeaders"] = {"Access-Control-Allow-Origin": ["https://old.example"]}
    result = merge(config, mode="merge", cors_origins=["https://new.example", "https://old.example"])
    assert result["API"]["HTTPHeaders"]["Access-Control-Allow-Origin"] == ["https://old.example", "https://new.example"]


def test_no_clients_and_no_existing_section_adds_no_empty_authorizations(config):
    assert "Authorizations" not in merge(config, [], allow_open_api=True)["API"]


# --- refusals: each names the field and never the secret -------------------


REFUSALS = [
    ("unknown AuthSecret prefix", [{"name": "x", "auth_secret": "token:abcdefghijklmnopqrst"}], {}, "clients[0] (x).auth_secret", "unknown prefix 'token:'"),
    ("typo in prefix", [{"name": "x", "auth_secret": "Basic:user:abcdefghijklmnopqrst"}], {}, "clients[0] (x).auth_secret", "unknown prefix 'Basic:'"),
    ("colon in user name", [basic(user="a:b")], {}, "clients[0] (ci).username", "must not contain ':'"),
    ("empty user name", [basic(user="")], {}, "clients[0] (ci).username", "non-empty"),
    ("empty password", [basic(password="")], {}, "clients[0] (ci).password", "non-empty"),
    ("missing password", [{"name": "ci", "username": "ci"}], {}, "clients[0] (ci).password", "non-empty"),
    ("password without user", [{"name": "ci", "password": PASSWORD}], {}, "clients[0] (ci).username", "required when password"),
    ("empty token", [{"name": "t", "token": ""}], {}, "clients[0] (t).token", "non-empty"),
    ("whitespace in password", [basic(password="correct horse battery")], {}, "clients[0] (ci).password", "without whitespace"),
    ("newline in token", [{"name": "t", "token": "abcdefgh\nijklmnopqr"}], {}, "clients[0] (t).token", "without whitespace"),
    ("whitespace in user", [basic(user="c i")], {}, "clients[0] (ci).username", "without whitespace"),
    ("non-ASCII password", [basic(password="pässwörd-pässwörd-1")], {}, "clients[0] (ci).password", "printable ASCII"),
    ("short password", [basic(password="short-pass")], {}, "clients[0] (ci).password", "10 characters long; at least 16"),
    ("short token", [{"name": "t", "token": "abc"}], {}, "clients[0] (t).token", "at least 16"),
    ("both token and password", [basic(token=TOKEN)], {}, "clients[0] (ci)", "exactly one of"),
    ("no credentials", [{"name": "ci"}], {}, "clients[0] (ci)", "exactly one of"),
    ("duplicate names", [basic(), basic(user="other")], {}, "clients[1] (ci).name", "duplicate"),
    ("same credentials twice", [basic(), basic(name="ci2")], {}, "clients[1] (ci2)", "same credentials as client ci"),
    ("bad name", [basic(name="c i")], {}, "clients[0].name", "letters, digits"),
    ("missing name", [{"username": "ci", "password": PASSWORD}], {}, "clients[0].name", "letters, digits"),
    ("unknown key", [basic(allowed_path=["/api/v0"])], {}, "clients[0] (ci)", "unknown key(s) allowed_path"),
    ("client not a dict", ["ci"], {}, "clients[0]", "must be a dict"),
    ("clients not a list", {"name": "ci"}, {}, "clients", "must be a list"),
    ("path outside the RPC", [basic(allowed_paths=["/webui"])], {}, "clients[0] (ci).allowed_paths[0]", "not an RPC path"),
    ("path prefix trick", [basic(allowed_paths=["/api/v0x"])], {}, "clients[0] (ci).allowed_paths[0]", "not an RPC path"),
    ("path traversal", [basic(allowed_paths=["/api/v0/../debug"])], {}, "clients[0] (ci).allowed_paths[0]", "not an RPC path"),
    ("relative path", [basic(allowed_paths=["api/v0"])], {}, "clients[0] (ci).allowed_paths[0]", "not an RPC path"),
    ("empty path list", [basic(allowed_paths=[])], {}, "clients[0] (ci).allowed_paths", "non-empty list"),
    ("public API address", None, {"api_address": "/ip4/0.0.0.0/tcp/5001"}, "api_address", "not on loopback"),
    ("LAN API address", None, {"api_address": "/ip4/192.168.1.5/tcp/5001"}, "api_address", "not on loopback"),
    ("garbage API address", None, {"api_address": "127.0.0.1:5001"}, "api_address", "not a multiaddr"),
    ("port out of range", None, {"api_address": "/ip4/127.0.0.1/tcp/70000"}, "api_address", "not a multiaddr"),
    ("origin without scheme", None, {"cors_origins": ["ipfs.example.com"]}, "cors_origins[0]", "scheme://host"),
    ("origin with path", None, {"cors_origins": ["https://ipfs.example.com/app"]}, "cors_origins[0]", "it has a path"),
    ("wildcard origin", None, {"cors_origins": ["*"]}, "cors_origins[0]", "every web page"),
    ("origin with newline", None, {"cors_origins": ["https://a.example\nX: y"]}, "cors_origins[0]", "line break"),
    ("bad mode", None, {"mode": "replace"}, "mode", "'exclusive' or 'merge'"),
    ("bad minimum", None, {"min_secret_length": 0}, "min_secret_length", "positive integer"),
]


@pytest.mark.parametrize(("clients", "kwargs", "field", "problem"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_bad_input_is_refused_naming_the_field(config, clients, kwargs, field, problem):
    with pytest.raises(AnsibleFilterError) as error:
        merge(config, clients, **kwargs)
    message = str(error.value)
    assert message.startswith(f"kubo_api_merge: {field}: "), message
    assert problem in message
    assert PASSWORD not in message and TOKEN not in message


def test_error_messages_use_the_callers_variable_names(config):
    with pytest.raises(AnsibleFilterError, match=r"^kubo_api_merge: kubo_api_auth_clients\[0\] \(ci\)\.password: "):
        merge(config, [basic(password="short")], var_prefix="kubo_api_auth_")
    with pytest.raises(AnsibleFilterError, match="set kubo_api_auth_allow_public_api to accept it"):
        merge(config, api_address="/ip4/0.0.0.0/tcp/5001", var_prefix="kubo_api_auth_")


def test_minimum_secret_length_is_configurable(config):
    assert merge(config, [basic(password="12345678")], min_secret_length=8)
    with pytest.raises(AnsibleFilterError, match="at least 32"):
        merge(config, min_secret_length=32)


@pytest.mark.parametrize("bad", [None, "text", [1, 2], {"API": {}}, {"Identity": {"PeerID": "x"}, "API": "oops"}])
def test_input_that_is_not_a_kubo_config_is_refused(bad):
    with pytest.raises(AnsibleFilterError, match=r"^kubo_api_merge: config: "):
        kubo_api_merge(bad, [])


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()["kubo_api_merge"] is kubo_api_merge
