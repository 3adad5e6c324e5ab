# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bcrypt hashes for Caddy basic auth, stable across runs.

Runs on the managed host with the Python standard library only. Reads JSON
from stdin: {"config": PATH, "caddy": BINARY, "check_mode": BOOL,
"users": [{"username": U, "password": P}]}; entries that already carry a
"password_hash" pass through unchanged. For each user the hash already in
the installed Caddyfile is kept when the password still matches it (checked
with the system's libcrypt, which knows bcrypt on Debian and Ubuntu);
otherwise `caddy hash-password` makes a new one, reading the password from
stdin so that it never shows up in a process list. Prints JSON:
{"users": [{"username": U, "password_hash": H}], "rehashed": [U, ...]}.
Changes nothing on the host.
"""

import ctypes
import ctypes.util
import hmac
import json
import os
import re
import subprocess
import sys

BCRYPT = re.compile(r"\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}")
TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
# Stands in for a hash when Caddy is not installed yet (check mode only).
PLACEHOLDER = "$2a$14$" + "." * 53


def existing_hashes(path):
    """Map user name -> bcrypt hash from `"user" "hash"` lines of a Caddyfile."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeError):
        return {}
    found = {}
    for line in text.splitlines():
        tokens = [
            quoted.replace('\\"', '"') if quoted is not None and bare == "" else bare
            for quoted, bare in TOKEN.findall(line)
        ]
        if len(tokens) == 2 and BCRYPT.fullmatch(tokens[1]):
            found.setdefault(tokens[0], tokens[1])
    return found


def _libcrypt():
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


LIBCRYPT = _libcrypt()


def matches(password, password_hash):
    """True/False when the check could be made, None when it could not."""
    if LIBCRYPT is None:
        return None
    result = LIBCRYPT.crypt(password.encode("utf-8"), password_hash.encode("ascii"))
    if not result or result.startswith(b"*"):
        return None
    return hmac.compare_digest(result, password_hash.encode("ascii"))


def new_hash(caddy, password):
    proc = subprocess.run(
        [caddy, "hash-password"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not BCRYPT.fullmatch(lines[-1].strip()):
        raise RuntimeError("caddy hash-password failed: " + proc.stderr.strip()[-500:])
    return lines[-1].strip()


def main():
    data = json.load(sys.stdin)
    caddy = data["caddy"]
    have_caddy = os.access(caddy, os.X_OK)
    old = existing_hashes(data["config"])
    users, rehashed = [], []
    for user in data["users"]:
        username = user["username"]
        if "password_hash" in user:
            users.append({"username": username, "password_hash": user["password_hash"]})
            continue
        password = user["password"]
        password_hash = old.get(username)
        if password_hash is None or not matches(password, password_hash):
            rehashed.append(username)
            if not have_caddy:
                if not data.get("check_mode"):
                    raise RuntimeError(caddy + " is not installed; cannot hash passwords")
                password_hash = PLACEHOLDER
            else:
                password_hash = new_hash(caddy, password)
                if matches(password, password_hash) is False:
                    raise RuntimeError(
                        "the hash from caddy hash-password does not match the password "
                        "of " + username + " (leading or trailing blanks are not supported)"
                    )
        users.append({"username": username, "password_hash": password_hash})
    json.dump({"users": users, "rehashed": rehashed, "libcrypt": LIBCRYPT is not None}, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, KeyError, ValueError) as exc:
        sys.stderr.write("caddy_tls_basic_auth: %s\n" % exc)
        sys.exit(1)
