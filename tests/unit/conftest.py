"""Make the collection importable as ansible_collections.secure_kubo.rpc.

The repository root is the collection root, so plain `pytest tests/unit`
needs a directory that holds ansible_collections/secure_kubo/rpc. When the
caller has not set one up (PYTHONPATH), scripts/lib/collection.sh makes it,
as it does for the scripts: .cache/collections in this checkout.

Also provides the `caddy_dns` fixture: a Caddy with a DNS provider module.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _ensure_importable() -> None:
    try:
        module = importlib.import_module("ansible_collections.secure_kubo.rpc")
        if Path(module.__path__[0]).resolve() == ROOT:
            return
    except ImportError:
        pass
    helper = ROOT / "scripts" / "lib" / "collection.sh"
    result = subprocess.run(["bash", str(helper)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{helper} failed:\n{result.stderr}"
    sys.path.insert(0, result.stdout.strip())
    for name in [m for m in sys.modules if m.startswith("ansible_collections")]:
        del sys.modules[name]
    importlib.invalidate_caches()


_ensure_importable()


@pytest.fixture(scope="session")
def caddy_dns() -> Path:
    """Caddy built with the rfc2136 DNS provider module, for `caddy adapt` of DNS-01 settings.

    scripts/build-caddy-dns.sh prints the cached binary, builds it on first use
    (a few minutes, through the Go module proxy) or checks CADDY_DNS_BINARY.
    Debian's Caddy and the official binary have no DNS provider module, so
    this one is needed; a failed build fails the tests that use it.
    """
    script = ROOT / "scripts" / "build-caddy-dns.sh"
    result = subprocess.run([str(script)], capture_output=True, text=True, check=False, timeout=1800)
    assert result.returncode == 0, f"{script} failed:\n{result.stderr[-3000:]}"
    return Path(result.stdout.strip())
