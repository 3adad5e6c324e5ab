# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bcrypt hashes of Caddy's basic auth, shared by the caddyfile filter and a module.

The ``caddyfile`` filter accepts only hashes that match ``BCRYPT``; the
``caddy_basic_auth_hash`` module makes them on the managed host with
``caddy hash-password`` and keeps a hash from the installed Caddyfile while
the password still matches it, so that a run with the same passwords writes
the same file. Standard library only: this runs on managed hosts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hmac
import re
import subprocess

# What `caddy hash-password` prints (bcrypt, any of its variants).
BCRYPT = re.compile(r"\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}")
# Stands in for a hash where none can be made (check mode without Caddy).
PLACEHOLDER_HASH = "$2a$14$" + "." * 53

# One token of a Caddyfile line: quoted (with \" inside) or bare.
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def hashes_in_caddyfile(text: str) -> dict[str, str]:
    """User name -> bcrypt hash, from the ``"user" "hash"`` lines of a Caddyfile (first one wins)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        tokens = [
            quoted.replace('\\"', '"') if quoted is not None and bare == "" else bare
            for quoted, bare in _TOKEN.findall(line)
        ]
        if len(tokens) == 2 and BCRYPT.fullmatch(tokens[1]):
            found.setdefault(tokens[0], tokens[1])
    return found


def load_libcrypt():
    """The system's crypt(3) (libxcrypt knows bcrypt on Debian and Ubuntu), or None."""
    for name in ("libcrypt.so.1", ctypes.util.find_library("crypt")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.crypt.restype = ctypes.c_char_p
        lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        return lib
    return None


def password_matches(libcrypt, password: str, password_hash: str) -> bool | None:
    """True or False when crypt(3) could check it, None when it could not."""
    if libcrypt is None:
        return None
    result = libcrypt.crypt(password.encode("utf-8"), password_hash.encode("ascii"))
    if not result or result.startswith(b"*"):
        return None
    return hmac.compare_digest(result, password_hash.encode("ascii"))


class HashError(RuntimeError):
    """caddy hash-password did not give a hash."""


def caddy_hash_password(caddy: str, password: str) -> str:
    """A new bcrypt hash from ``caddy hash-password``; the password goes through stdin, never argv."""
    proc = subprocess.run(
        [caddy, "hash-password"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not BCRYPT.fullmatch(lines[-1].strip()):
        raise HashError(f"{caddy} hash-password failed (exit {proc.returncode}): " + proc.stderr.strip()[-500:])
    return lines[-1].strip()
