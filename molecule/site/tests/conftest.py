"""The site scenario's verify step reuses the shared helpers (curl through
Caddy with Pebble's root, the guide's ipfs id check, journals)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tests"))
# pylint: disable=wrong-import-position,unused-import
from kubo_checks import KUBO_CONFIG, client, host, ipfs_id, journal, kubo_config, pebble_root, rpc, test_vars  # noqa: E402,F401


@pytest.fixture(scope="module")
def peer_id(host) -> str:
    """The Identity that `ipfs init`, run by the kubo role, created."""
    return json.loads(host.file(KUBO_CONFIG).content_string)["Identity"]["PeerID"]
