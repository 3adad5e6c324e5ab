"""Test data of the Kubo filter tests, written once: a real Kubo config and
the client secrets the tests put into it."""

from __future__ import annotations

import json
from pathlib import Path

# Written by `ipfs init --profile server` (Kubo v0.42.0).
KUBO_CONFIG_FILE = Path(__file__).resolve().parent / "fixtures" / "kubo-v0.42.0-server.json"
PASSWORD = "correct-horse-battery"  # 21 characters
TOKEN = "tok_0123456789abcdef"


def kubo_config() -> dict:
    """A fresh copy of the real config."""
    return json.loads(KUBO_CONFIG_FILE.read_text())
