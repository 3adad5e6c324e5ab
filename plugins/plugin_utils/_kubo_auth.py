# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about Kubo's RPC authorization shared by the kubo_* filters.

Everything here mirrors what Kubo itself does (config/api.go and
core/corehttp/commands.go), so that the filters refuse exactly the input
Kubo would silently drop or misread.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import NamedTuple

# Kubo accepts these AuthSecret forms; any other "type:" prefix makes it
# drop the entry without a word, which silently locks the client out.
AUTH_SCHEMES = ("basic", "bearer")

# Kubo's default RPC address; it must stay on loopback behind a TLS proxy.
DEFAULT_API_ADDRESS = "/ip4/127.0.0.1/tcp/5001"

API_PATH_PREFIX = "/api/v0"

MASK = "********"

_CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Printable ASCII without space: what survives an HTTP header and a
# `--api-auth basic:USER:PASS` command line unchanged.
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]+$")
_PATH_SAFE = re.compile(r"^[A-Za-z0-9/._~-]+$")
_TCP_MULTIADDR = re.compile(r"^/(ip4|ip6)/([^/]+)/tcp/(\d{1,5})$")
_UNIX_MULTIADDR = re.compile(r"^/unix/.+$")


class AuthSecret(NamedTuple):
    """An AuthSecret split the way Kubo reads it."""

    scheme: str  # "basic", "bearer" or "" for an unknown prefix
    user: str | None  # known only for basic secrets
    prefix: str  # the literal text before the first colon, for messages


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


def is_valid_client_name(name: str) -> bool:
    return bool(_CLIENT_NAME.match(name))


def is_header_safe(value: str) -> bool:
    return bool(_HEADER_SAFE.match(value))


def is_allowed_path(path: str) -> bool:
    """A path Kubo's prefix match can use: /api/v0 or below, no tricks."""
    if not _PATH_SAFE.match(path) or "/../" in path + "/" or "//" in path:
        return False
    return path == API_PATH_PREFIX or path.startswith(API_PATH_PREFIX + "/")


def _tcp_ip(addr: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP of /ip4|ip6/IP/tcp/PORT with a valid port and matching family."""
    match = _TCP_MULTIADDR.match(addr)
    if not match or not 0 < int(match.group(3)) < 65536:
        return None
    try:
        ip = ipaddress.ip_address(match.group(2))
    except ValueError:
        return None
    return ip if ip.version == (4 if match.group(1) == "ip4" else 6) else None


def is_loopback_multiaddr(addr: str) -> bool:
    """True for /ip4/127.x/tcp/N, /ip6/::1/tcp/N and /unix/PATH."""
    if _UNIX_MULTIADDR.match(addr):
        return True
    ip = _tcp_ip(addr)
    return ip is not None and ip.is_loopback


def is_valid_multiaddr(addr: str) -> bool:
    """Shape check for the TCP and unix multiaddrs Kubo's API listens on."""
    return bool(_UNIX_MULTIADDR.match(addr)) or _tcp_ip(addr) is not None
