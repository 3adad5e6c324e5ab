"""Property-based tests: for any Kubo-like config and any valid settings,
merging preserves every unrelated key, is idempotent, and masking hides
every secret the merge wrote."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.secure_kubo.rpc.plugins.filter.kubo_api_merge import kubo_api_merge
from ansible_collections.secure_kubo.rpc.plugins.filter.kubo_config_mask import kubo_config_mask

printable = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=16, max_size=40)
names = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,15}", fullmatch=True)
json_leaf = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=20)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def kubo_configs(draw) -> dict:
    config = {"Identity": {"PeerID": draw(st.text(min_size=1, max_size=60)), "PrivKey": draw(st.text(min_size=1, max_size=80))}}
    extra = draw(st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in ("Identity", "API", "Addresses")), json_value, max_size=6))
    config.update(extra)
    config["Addresses"] = {"Swarm": draw(st.lists(st.text(max_size=30), max_size=3)), "API": "/ip4/127.0.0.1/tcp/5001", "Gateway": draw(st.text(max_size=30))}
    if draw(st.booleans()):
        config["API"] = {"HTTPHeaders": draw(st.dictionaries(st.text(min_size=1, max_size=12), st.lists(st.text(max_size=10), max_size=2), max_size=3))}
    return config


@st.composite
def client_lists(draw) -> list:
    clients = []
    for index, name in enumerate(draw(st.lists(names, unique=True, max_size=4))):
        paths = draw(st.sampled_from([None, ["/api/v0"], ["/api/v0/pin/"], ["/api/v0/id", "/api/v0/add"]]))
        if draw(st.booleans()):
            client = {"name": name, "username": f"user{index}", "password": draw(printable)}
        else:
            client = {"name": name, "token": draw(printable)}
        if paths is not None:
            client["allowed_paths"] = paths
        clients.append(client)
    # Equal secrets are refused by design; keep the generated ones distinct.
    secrets = [c.get("password", c.get("token")) for c in clients]
    return clients if len(set(secrets)) == len(secrets) else clients[:1]


origins = st.lists(st.sampled_from(["https://a.example", "https://b.example:8443", "http://localhost:3000"]), unique=True, max_size=3)


@settings(max_examples=150, deadline=None)
@given(config=kubo_configs(), clients=client_lists(), cors=origins, mode=st.sampled_from(["exclusive", "merge"]))
def test_merge_preserves_unrelated_keys_and_is_idempotent(config, clients, cors, mode):
    before = json.dumps(config)
    # An empty result is refused unless asked for (tests/unit/plugins/filter/test_fail_closed.py).
    once = kubo_api_merge(config, clients, cors_origins=cors, mode=mode, allow_open_api=not clients)
    assert json.dumps(config) == before, "input must not be modified"
    assert once["Identity"] == config["Identity"]
    for key, value in config.items():
        if key not in ("API", "Addresses"):
            assert once[key] == value
    assert [k for k in once if k != "API"] == [k for k in config if k != "API"]
    assert kubo_api_merge(once, clients, cors_origins=cors, mode=mode, allow_open_api=not clients) == once


@settings(max_examples=100, deadline=None)
@given(config=kubo_configs(), clients=client_lists())
def test_masking_the_merged_config_hides_every_written_secret(config, clients):
    masked = kubo_config_mask(kubo_api_merge(config, clients, allow_open_api=not clients))
    written = [entry["AuthSecret"] for entry in masked["API"].get("Authorizations", {}).values()]
    for client in clients:
        secret = client.get("password", client.get("token"))
        assert all(secret not in value for value in written)
    assert masked["Identity"]["PrivKey"] == "********"
