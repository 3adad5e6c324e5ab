# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings of Caddy's ACME DNS-01 challenge, checked once for both filters.

``caddyfile`` writes the provider's settings into the site's ``tls { dns ... }``
block, naming each credential as ``{env.CADDY_TLS_DNS_<KEY>}``; the
``caddy_dns_env`` filter writes the credentials themselves into the root-only
environment file that systemd gives the Caddy unit. Both take the names from
here, so the Caddyfile and the file always agree.

A credential's value is never part of an error message, whatever is wrong
with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.secure_kubo.rpc.plugins.module_utils import _validate as v

# Environment variable of a credential: this prefix plus the key in upper case.
ENV_PREFIX = "CADDY_TLS_DNS_"
# A Caddy module name (dns.providers.<name>) and a provider's subdirective.
_IDENT = re.compile(r"[a-z][a-z0-9_]{0,62}")
# Words that make a setting a secret: it belongs in the credentials, which
# stay out of the Caddyfile, not in the options, which are written into it.
_SECRET_WORDS = frozenset({"key", "secret", "token", "password", "passwd", "pass", "apikey", "apitoken", "credentials"})
# Caddy's durations (Go's, plus d for days), or -1: no propagation check.
_DURATION = re.compile(r"-1|(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h|d))+")


def env_name(key: str) -> str:
    """The environment variable that carries the credential ``key``."""
    return ENV_PREFIX + key.upper()


def placeholder(key: str) -> str:
    """How the Caddyfile refers to that variable; Caddy replaces it when the provider is provisioned."""
    return "{env." + env_name(key) + "}"


def provider(where: str, value: Any) -> str:
    """The provider's name as in its module ID dns.providers.<name>; empty: no DNS-01."""
    v.text(where, value, allow_empty=True)
    if value and not _IDENT.fullmatch(value):
        v.fail(
            where,
            f"{value!r} is not a DNS provider name: give the <name> of its Caddy module "
            "dns.providers.<name> (rfc2136, cloudflare, route53 ...), lower-case letters, digits and _",
        )
    return value


def _key(where: str, key: Any) -> str:
    if not isinstance(key, str) or not _IDENT.fullmatch(key):
        v.fail(
            where,
            f"the key {key!r} is not a setting name of a Caddy DNS provider "
            "(lower-case letters, digits and _, starting with a letter)",
        )
    return key


def _mapping(where: str, value: Any) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        v.fail(where, f"must be a dictionary of setting: value, got {type(value).__name__}")
    return value


def credentials(where: str, value: Any) -> list[tuple[str, str]]:
    """The secret settings, sorted by key: (key, value), the value checked but never shown."""
    out = []
    for key, secret in sorted(_mapping(where, value).items(), key=lambda item: str(item[0])):
        here = f"{where}.{_key(where, key)}"
        if not isinstance(secret, str):
            v.fail(here, f"must be a string, got {type(secret).__name__} (quote the value)")
        if not secret:
            v.fail(here, "is empty")
        # Printable ASCII without blanks: what API tokens, TSIG secrets and
        # keys are, and what an environment file carries unchanged.
        if not re.fullmatch(r"[\x21-\x7e]+", secret):
            v.fail(here, "must be printable ASCII without blanks, line breaks or control characters (the value is not shown)")
        out.append((key, secret))
    return out


def _looks_secret(key: str) -> bool:
    """api_token, key, secret_access_key: yes; key_name, key_alg, access_key_id: no."""
    words = key.split("_")
    return words[-1] in _SECRET_WORDS or bool(_SECRET_WORDS.intersection(words) - {"key"})


def options(where: str, value: Any, secret_keys: set[str]) -> list[tuple[str, str]]:
    """The non-secret settings, sorted by key, as text for the Caddyfile."""
    out = []
    for key, item in sorted(_mapping(where, value).items(), key=lambda pair: str(pair[0])):
        here = f"{where}.{_key(where, key)}"
        if key in secret_keys:
            v.fail(here, "is also in caddy_tls_dns_credentials; give each setting once")
        if _looks_secret(key):
            v.fail(
                here,
                "looks like a secret; put it in caddy_tls_dns_credentials, which go to a root-only "
                "environment file, not into the Caddyfile (the value is not shown)",
            )
        if isinstance(item, bool):
            text = "true" if item else "false"
        elif isinstance(item, int):
            text = str(item)
        elif isinstance(item, str):
            text = v.text(here, item)
        else:
            v.fail(here, f"must be a string, a number or a boolean, got {type(item).__name__}")
        out.append((key, text))
    return out


def resolvers(where: str, value: Any) -> list[str]:
    """DNS servers Caddy asks for the zone and the propagation check, as host:port.

    The port (53 when not given) is always written: Caddy would append it to an
    IPv6 address in brackets once more ([[::1]]:53).
    """
    out = []
    for index, item in enumerate(v.as_list(where, value)):
        here = f"{where}[{index}]"
        v.text(here, item)
        host, port = v.host_port(here, item, "DNS resolver")
        out.append(f"{host}:{53 if port is None else port}")
    return out


def duration(where: str, value: Any) -> str:
    """A Caddy duration such as 2m or 90s, -1 to skip the check, or empty (Caddy's default)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    v.text(where, value, allow_empty=True)
    if value and not _DURATION.fullmatch(value):
        v.fail(where, f"{value!r} is not a duration like 2m or 90s (or -1 to skip the check)")
    return value
