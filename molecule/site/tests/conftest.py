"""The site scenario's verify step reuses the shared helpers (curl through
Caddy with Pebble's root, the guide's ipfs id check, journals)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "tests" / "conftest.py"
_spec = importlib.util.spec_from_file_location("shared_conftest", _SHARED)
shared = importlib.util.module_from_spec(_spec)
sys.modules["shared_conftest"] = shared  # dataclasses look their module up there
_spec.loader.exec_module(shared)

# Fixtures and helpers of the other scenarios, under the same names.
host = shared.host
test_vars = shared.test_vars
pebble_root = shared.pebble_root
kubo_config = shared.kubo_config
client, rpc, curl, ipfs_id, journal = shared.client, shared.rpc, shared.curl, shared.ipfs_id, shared.journal
KUBO_CONFIG = shared.KUBO_CONFIG


@pytest.fixture(scope="module")
def peer_id(host) -> str:
    """The Identity that `ipfs init`, run by the kubo role, created."""
    return json.loads(host.file(KUBO_CONFIG).content_string)["Identity"]["PeerID"]
