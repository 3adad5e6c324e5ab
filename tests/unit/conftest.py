"""Make the collection importable as ansible_collections.secure_kubo.rpc.

The repository root is the collection root, so plain `pytest tests/unit`
needs a directory that holds ansible_collections/secure_kubo/rpc. When the
caller has not set one up (ANSIBLE_COLLECTIONS_PATH / PYTHONPATH), a symlink
in a temporary directory provides it.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ensure_importable() -> None:
    try:
        module = importlib.import_module("ansible_collections.secure_kubo.rpc")
        if Path(module.__path__[0]).resolve() == ROOT:
            return
    except ImportError:
        pass
    base = Path(tempfile.mkdtemp(prefix="secure_kubo_rpc_"))
    (base / "ansible_collections" / "secure_kubo").mkdir(parents=True)
    (base / "ansible_collections" / "secure_kubo" / "rpc").symlink_to(ROOT)
    sys.path.insert(0, str(base))
    for name in [m for m in sys.modules if m.startswith("ansible_collections")]:
        del sys.modules[name]
    importlib.invalidate_caches()


_ensure_importable()
