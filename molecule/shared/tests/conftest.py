"""Fixtures and helpers of the shared verify step. They live in
kubo_checks.py, where the other scenarios' conftests import them too;
being imported here registers the fixtures for the shared tests."""

from __future__ import annotations

# pylint: disable=unused-import
from kubo_checks import (  # noqa: F401
    KUBO_CONFIG, PEBBLE_ROOT, SHARED, SITE, auth_header, caddy_version, client, converge, curl, host,
    inventory_vars, ipfs_id, journal, journal_entries, journal_leaks, kubo_config, load_test_vars,
    pebble_root, pristine_config, rpc, secrets_of, test_vars,
)


def pytest_collection_modifyitems(items):
    """Revocation and rotation converge the instance again: run them last."""
    items.sort(key=lambda item: item.module.__name__.endswith("test_rotation"))
