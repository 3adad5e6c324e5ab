"""The shared verify helpers for trixie's own tests (the operator's Caddy)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tests"))
# pylint: disable=wrong-import-position,unused-import
from kubo_checks import (  # noqa: E402,F401
    PEBBLE_ROOT, auth_header, client, converge, curl, host, inventory_vars, journal, pebble_root, rpc, test_vars,
)
