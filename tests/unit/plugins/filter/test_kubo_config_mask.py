"""Unit tests for the kubo_config_mask filter."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.filter.kubo_config_mask import FilterModule, kubo_config_mask
from ansible_collections.secure_kubo.rpc.tests.unit.kubo_samples import PASSWORD, TOKEN, kubo_config


@pytest.fixture
def config() -> dict:
    cfg = kubo_config()
    cfg["API"]["Authorizations"] = {
        "ci": {"AuthSecret": f"basic:ci:{PASSWORD}", "AllowedPaths": ["/api/v0"]},
        "b64": {"AuthSecret": "basic:b3BzOmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ==", "AllowedPaths": ["/api/v0"]},
        "bot": {"AuthSecret": f"bearer:{TOKEN}", "AllowedPaths": ["/api/v0/pin/"]},
        "bare": {"AuthSecret": "baretoken0123456789", "AllowedPaths": ["/api/v0"]},
    }
    cfg["Pinning"] = {"RemoteServices": {"pinata": {"API": {"Endpoint": "https://api.pinata.cloud/psa", "Key": "pinata-jwt-secret"}}}}
    return cfg


def test_auth_secrets_are_masked_but_scheme_and_user_stay_visible(config):
    auth = kubo_config_mask(config)["API"]["Authorizations"]
    assert auth["ci"]["AuthSecret"] == "basic:ci:********"
    assert auth["b64"]["AuthSecret"] == "basic:ops:********"
    assert auth["bot"]["AuthSecret"] == "bearer:********"
    assert auth["bare"]["AuthSecret"] == "********"
    assert auth["bot"]["AllowedPaths"] == ["/api/v0/pin/"]


def test_private_key_and_pinning_service_keys_are_masked(config):
    masked = kubo_config_mask(config)
    assert masked["Identity"] == {"PeerID": config["Identity"]["PeerID"], "PrivKey": "********"}
    assert masked["Pinning"]["RemoteServices"]["pinata"]["API"] == {"Endpoint": "https://api.pinata.cloud/psa", "Key": "********"}


def test_no_secret_survives_anywhere_in_the_masked_text(config):
    text = json.dumps(kubo_config_mask(config))
    for secret in (PASSWORD, "b3BzOmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ==", TOKEN,
                   "baretoken0123456789", "pinata-jwt-secret", config["Identity"]["PrivKey"]):
        assert secret not in text


def test_input_is_not_modified_and_order_is_kept(config):
    before = json.dumps(config)
    masked = kubo_config_mask(config, mask="<hidden>")
    assert json.dumps(config) == before
    assert list(masked) == list(config)
    assert masked["API"]["Authorizations"]["bot"]["AuthSecret"] == "bearer:<hidden>"


def test_config_without_secrets_is_returned_equal():
    assert kubo_config_mask({"Identity": {"PeerID": "x"}, "API": {"HTTPHeaders": {}}}) == {"Identity": {"PeerID": "x"}, "API": {"HTTPHeaders": {}}}


def test_non_dict_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="kubo_config_mask: input must be a dict"):
        kubo_config_mask(["not", "a", "config"])


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()["kubo_config_mask"] is kubo_config_mask
