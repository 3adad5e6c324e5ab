# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubo's RPC authorization as Kubo itself reads it.

Mirrors config/api.go (ConvertAuthSecret) and core/corehttp/commands.go
(convertAuthorizationsMap, withAuthSecrets) of Kubo 0.25 to 0.42:

- each AuthSecret becomes the Authorization header Kubo compares, exactly:
  ``basic:USER:PASS`` becomes ``Basic <standard base64 of USER:PASS>``,
  ``basic:<base64>`` is sent as given, ``bearer:T`` and a bare ``T`` (no
  colon) both become ``Bearer T``; any other ``type:`` prefix gives no
  header at all and Kubo drops the entry without a word;
- Kubo keys its table by that header, so two entries with one header
  collide and which one wins (and so which AllowedPaths apply) changes from
  one start to the next;
- an empty or missing ``API.Authorizations`` turns authorization off: every
  RPC call is allowed, without credentials.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, NamedTuple

from ansible_collections.secure_kubo.rpc.plugins.module_utils._validate import ascii_token, fail

# Kubo accepts these AuthSecret forms; any other "type:" prefix makes it
# drop the entry without a word, which silently locks the client out.
AUTH_SCHEMES = ("basic", "bearer")

# Kubo's default RPC address; it must stay on loopback behind a TLS proxy.
DEFAULT_API_ADDRESS = "/ip4/127.0.0.1/tcp/5001"

MASK = "********"


class AuthSecret(NamedTuple):
    """An AuthSecret split the way Kubo reads it."""

    scheme: str  # "basic", "bearer" or "" for an unknown prefix
    user: str | None  # known only for basic secrets
    prefix: str  # the literal text before the first colon, for messages


def authorization_header(secret: str) -> str:
    """The Authorization header Kubo expects for an AuthSecret; "" when Kubo drops it."""
    if secret == "":
        return ""
    if ":" not in secret:
        return "Bearer " + secret
    rest = secret.split(":", 1)[1]
    if secret.startswith("basic:"):
        if ":" in rest:
            return "Basic " + base64.b64encode(rest.encode("utf-8")).decode("ascii")
        return "Basic " + rest
    if secret.startswith("bearer:"):
        return "Bearer " + rest
    return ""


def parse_auth_secret(secret: str) -> AuthSecret:
    """Split an AuthSecret into scheme and (for basic) user name.

    A value without a colon is a bare bearer token, as in Kubo.
    """
    if ":" not in secret:
        return AuthSecret("bearer", None, "")
    prefix, rest = secret.split(":", 1)
    if prefix == "bearer":
        return AuthSecret("bearer", None, prefix)
    if prefix == "basic":
        if ":" in rest:
            return AuthSecret("basic", rest.split(":", 1)[0], prefix)
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return AuthSecret("basic", None, prefix)
        user = decoded.split(":", 1)[0] if ":" in decoded else None
        return AuthSecret("basic", user, prefix)
    return AuthSecret("", None, prefix)


def mask_auth_secret(secret: str, mask: str = MASK) -> str:
    """Hide the secret part of an AuthSecret, keep scheme and user name."""
    parsed = parse_auth_secret(secret)
    if parsed.scheme == "basic" and parsed.user is not None:
        return f"basic:{parsed.user}:{mask}"
    if parsed.prefix:
        return f"{parsed.prefix}:{mask}"
    return mask


def secret_long_enough(where: str, value: str, min_length: int, what: str = "") -> str:
    if len(value) < min_length:
        fail(where, f"{what}is {len(value)} characters long; at least {min_length} are required")
    return value


def basic_user(where: str, user: Any) -> str:
    """An HTTP Basic user name: printable ASCII, no colon (Basic splits there)."""
    if isinstance(user, str) and ":" in user:
        fail(where, "must not contain ':' (HTTP Basic splits user and password there)")
    return ascii_token(where, user)


def check_auth_secret(where: str, secret: Any, min_length: int) -> str:
    """A literal AuthSecret, given the checks of the structured forms.

    ``basic:USER:PASS`` needs a user name and a password of min_length on its
    own; ``basic:<base64>`` must be the standard base64 of such a pair (what
    curl and browsers send), ``bearer:T`` and a bare ``T`` a token of min_length.
    """
    ascii_token(where, secret)
    parsed = parse_auth_secret(secret)
    if parsed.scheme not in AUTH_SCHEMES:
        fail(
            where,
            f"has the unknown prefix '{parsed.prefix}:'; Kubo accepts only 'basic:' and 'bearer:' "
            "and silently ignores any other entry",
        )
    if parsed.scheme == "bearer":
        token = secret.split(":", 1)[1] if parsed.prefix else secret
        secret_long_enough(where, token, min_length, "the token ")
        return secret
    rest = secret.split(":", 1)[1]
    if ":" not in rest:
        rest = _base64_pair(where, rest)
    user, password = rest.split(":", 1)
    if user == "":
        fail(where, "has an empty user name; write basic:USER:PASSWORD")
    secret_long_enough(where, password, min_length, "the password ")
    return secret


def _base64_pair(where: str, encoded: str) -> str:
    """USER:PASSWORD from basic:<base64>, which must be exactly what clients send."""
    try:
        pair = base64.b64decode(encoded, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        pair = ""
    if ":" not in pair or base64.b64encode(pair.encode("ascii")).decode("ascii") != encoded:
        fail(
            where,
            "basic:<base64> must be the standard, padded base64 of USER:PASSWORD (what curl and "
            "browsers send); Kubo compares the header as written, so no client would match",
        )
    return ascii_token(where, pair)


def duplicate_headers(authorizations: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Pairs of entry names that give Kubo the same Authorization header."""
    seen: dict[str, str] = {}
    pairs = []
    for name, entry in authorizations.items():
        secret = entry.get("AuthSecret") if isinstance(entry, Mapping) else None
        header = authorization_header(secret) if isinstance(secret, str) else ""
        if not header:
            continue
        if header in seen:
            pairs.append((seen[header], name))
        else:
            seen[header] = name
    return pairs
