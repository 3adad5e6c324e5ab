# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings of the caddy_tls role, checked and put in canonical form.

The ``caddyfile`` filter writes a Caddyfile from a ``Site``; everything about
whether a setting is acceptable, and its one canonical form, is decided
here, with the checks of ``_validate``, ``_caddy_dns`` and ``_caddy_lexer``.
Errors are ``InvalidSetting(where, message)`` with ``where`` the setting
without the ``caddy_tls_`` prefix. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.secure_kubo.rpc.plugins.module_utils import _caddy_dns as dns
from ansible_collections.secure_kubo.rpc.plugins.module_utils import _validate as v
from ansible_collections.secure_kubo.rpc.plugins.module_utils._caddy_auth import BCRYPT
from ansible_collections.secure_kubo.rpc.plugins.module_utils._caddy_lexer import directive_lines, line_start

VAR_PREFIX = "caddy_tls_"

# Every setting with its default; the keys are the role variables without the prefix.
DEFAULTS: dict[str, Any] = {
    "state": "present",
    "config_mode": "caddyfile",
    "domains": None,
    "upstream": "127.0.0.1:5001",
    "upstream_allow_remote": False,
    "email": "",
    "acme_ca": "",
    "acme_ca_root": "",
    "mode": "acme",
    "dns_provider": "",
    "dns_options": {},
    "dns_credentials": {},
    "dns_resolvers": [],
    "dns_propagation_timeout": "",
    "http_port": 80,
    "https_port": 443,
    "cors_origins": [],
    "cors_allow_headers": ["Authorization", "Content-Type", "Accept", "X-Requested-With"],
    "cors_allow_credentials": True,
    "cors_max_age": 3600,
    "hsts": "max-age=31536000",
    "upstream_wait": 0,
    "log_output": "stdout",
    "log_file": "/var/log/caddy/kubo-rpc-access.log",
    "log_roll_size": "100MiB",
    "log_roll_keep": 10,
    "log_level": "INFO",
    "log_calls": "failed",
    "extra_directives": [],
    "basic_auth_users": [],
    "caddy_version": "",
}

STATES = ("present", "absent")
CONFIG_MODES = ("caddyfile", "site")
MODES = ("acme", "internal")
LOG_OUTPUTS = ("stdout", "stderr", "file", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
LOG_CALLS = ("failed", "all")

_HSTS = re.compile(r"max-age=[0-9]+(?:[ ]*;[ ]*(?:includeSubDomains|preload))*", re.IGNORECASE)
_ROLL_SIZE = re.compile(r"[1-9][0-9]*(?:[KMGT]i?B)?")
_VERSION = re.compile(r"v?([0-9]+)\.([0-9]+)(?:[.+ -][\x20-\x7e]*)?")


def caddy_major_minor(version: Any) -> tuple[int, int] | None:
    """Parse 'v2.11.7 h1:...' or '2.6.2' into (2, 11); None when empty."""
    if version is None or version == "":
        return None
    match = _VERSION.fullmatch(str(version).strip())
    if not match:
        v.fail("caddy_version", f"{version!r} is not a Caddy version like 2.6.2 or v2.11.7")
    return int(match.group(1)), int(match.group(2))


def basic_auth_directive(version: Any) -> str:
    """`basicauth` before Caddy 2.8, `basic_auth` from 2.8 on (and when unknown)."""
    parsed = caddy_major_minor(version)
    if parsed is not None and parsed < (2, 8):
        return "basicauth"
    return "basic_auth"


def _domains(value: Any, wildcard_ok: bool) -> list[str]:
    where = "domains"
    items = v.as_list(where, value)
    if not items:
        v.fail(where, "must list at least one domain name")
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        name = line_start(f"{where}[{index}]", v.hostname(f"{where}[{index}]", item, wildcard=True))
        if name.startswith("*.") and not wildcard_ok:
            v.fail(
                f"{where}[{index}]",
                f"{item!r} is a wildcard name, and only the ACME DNS-01 challenge can get a certificate "
                "for one (HTTP-01 cannot): set caddy_tls_dns_provider and its credentials (README, "
                "DNS-01), or list the names one by one",
            )
        if name in seen:
            v.fail(f"{where}[{index}]", f"{item!r} repeats {VAR_PREFIX}{where}[{seen[name]}] ({name})")
        seen[name] = index
    return list(seen)


def _upstream(value: Any, allow_remote: bool) -> str:
    where = "upstream"
    v.text(where, value)
    bad = f"{value!r} is not a valid upstream"
    if value.startswith("unix/"):
        if not value.startswith("unix//") or " " in value or '"' in value:
            v.fail(where, f"{bad}: write a socket as unix//absolute/path (no blanks or quotes)")
        return value
    if "://" in value:
        v.fail(where, f"{bad}: give host:port without a scheme")
    if "/" in value:
        v.fail(where, f"{bad}: give host:port without a path")
    host, port = v.host_port(where, value, "upstream")
    if port is None:
        v.fail(where, f"{bad}: give host:port, the port is missing")
    if not v.is_loopback_host(host) and not allow_remote:
        v.fail(
            where,
            f"{value!r} is not a loopback address; Kubo's RPC API must stay on loopback behind "
            "the proxy (set caddy_tls_upstream_allow_remote: true to allow a remote upstream)",
        )
    return f"{host}:{port}"


def _hsts(value: Any) -> str:
    v.text("hsts", value, allow_empty=True)
    if value and not _HSTS.fullmatch(value):
        v.fail(
            "hsts",
            f"{value!r} is not a valid Strict-Transport-Security value: write "
            "'max-age=SECONDS' optionally followed by '; includeSubDomains' and '; preload' "
            "(or an empty string to send no header)",
        )
    return value


def _basic_auth_users(value: Any) -> list[tuple[str, str]]:
    where = "basic_auth_users"
    users = []
    seen: set[str] = set()
    for index, item in enumerate(v.as_list(where, value)):
        here = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            v.fail(here, "must be a dictionary with username and password_hash")
        unknown = sorted(set(item) - {"username", "password_hash"})
        if "password" in unknown:
            v.fail(
                here,
                "has a plain 'password'; the filter needs 'password_hash' "
                "(the caddy_tls role computes it with caddy hash-password)",
            )
        if unknown:
            v.fail(here, f"unknown keys {', '.join(map(repr, unknown))}")
        username = line_start(f"{here}.username", v.text(f"{here}.username", item.get("username")))
        if username in seen:
            v.fail(f"{here}.username", f"{username!r} is listed twice")
        seen.add(username)
        password_hash = item.get("password_hash")
        if not isinstance(password_hash, str) or not BCRYPT.fullmatch(password_hash):
            # never echo the value: it may be a password put in the wrong key
            v.fail(
                f"{here}.password_hash",
                "is not a bcrypt hash as printed by caddy hash-password ($2a$14$...)",
            )
        users.append((username, password_hash))
    return users


@dataclass(frozen=True)
class Dns:
    """The ACME DNS-01 settings: the provider, its options and the names of its credentials."""

    provider: str
    options: list[tuple[str, str]]  # (key, value), sorted, not secret
    secret_keys: list[str]  # sorted; their values go to the environment file only
    resolvers: list[str]
    propagation_timeout: str


@dataclass(frozen=True)
class Site:
    """Every setting of a published site, checked and in canonical form."""

    domains: list[str]
    upstream: str
    upstream_wait: int
    site_only: bool  # config_mode: site - the main Caddyfile and its global options are the operator's
    mode: str
    email: str
    acme_ca: str
    acme_ca_root: str
    http_port: int
    https_port: int
    version: tuple[int, int] | None
    dns: Dns | None
    origins: list[str]
    allow_headers: list[str]
    allow_credentials: bool
    max_age: int
    hsts: str
    log_output: str
    log_file: str
    roll_size: str
    roll_keep: int
    log_level: str
    log_skip: str  # the directive that keeps Kubo's 2xx answers out of the access log, or ""
    extra: list[tuple[int, str]]
    users: list[tuple[str, str]]
    auth_directive: str


def _log_skip(calls: Any, log_output: str, version: tuple[int, int] | None) -> str:
    """The directive that keeps Kubo's 2xx answers out of the access log; "" to log every call."""
    if v.choice("log_calls", calls, LOG_CALLS) == "all" or log_output == "none":
        return ""
    # Caddy 2.8 renamed skip_log to log_skip, and warns about the old name.
    return "skip_log" if version is not None and version < (2, 8) else "log_skip"


def _dns(s: dict[str, Any], mode: str, version: tuple[int, int] | None) -> Dns | None:
    """The DNS-01 settings; None without a provider."""
    provider = dns.provider("dns_provider", s["dns_provider"])
    secrets = dns.credentials("dns_credentials", s["dns_credentials"])
    secret_keys = {key for key, _value in secrets}
    options = dns.options("dns_options", s["dns_options"], secret_keys)
    resolvers = dns.resolvers("dns_resolvers", s["dns_resolvers"])
    timeout = dns.duration("dns_propagation_timeout", s["dns_propagation_timeout"])
    if not provider:
        for name, value in (("dns_credentials", secrets), ("dns_options", options),
                            ("dns_resolvers", resolvers), ("dns_propagation_timeout", timeout)):
            if value:
                v.fail(name, "is set but caddy_tls_dns_provider is empty; name the DNS provider, or remove it")
        return None
    if mode != "acme":
        v.fail("dns_provider", "is set, but caddy_tls_mode is internal: DNS-01 is a challenge of an ACME CA")
    if not secrets:
        v.fail(
            "dns_credentials",
            f"the DNS provider {provider} (caddy_tls_dns_provider) needs its secret settings here (for example key for rfc2136, "
            "api_token for cloudflare); they go to a root-only environment file, not into the Caddyfile",
        )
    if timeout and version is not None and version < (2, 7):
        v.fail("dns_propagation_timeout", f"needs Caddy 2.7 or later; this Caddy is {version[0]}.{version[1]}")
    return Dns(provider, options, sorted(secret_keys), resolvers, timeout)


def state(s: dict[str, Any]) -> str:
    """present or absent."""
    return v.choice("state", s["state"], STATES)


def site(s: dict[str, Any]) -> Site:
    """Check every setting of a published site (a dict with every key of DEFAULTS)."""
    mode = v.choice("mode", s["mode"], MODES)
    version = caddy_major_minor(s["caddy_version"])
    dns_settings = _dns(s, mode, version)
    domains = _domains(s["domains"], wildcard_ok=dns_settings is not None or mode == "internal")
    upstream = _upstream(s["upstream"], v.boolean("upstream_allow_remote", s["upstream_allow_remote"]))
    email = v.email("email", s["email"])
    acme_ca = v.https_url("acme_ca", s["acme_ca"])
    acme_ca_root = v.absolute_path("acme_ca_root", s["acme_ca_root"])
    if acme_ca_root and not acme_ca:
        v.fail("acme_ca_root", "is set but caddy_tls_acme_ca is empty; the root belongs to that CA")
    http_port = v.integer("http_port", s["http_port"], 1, 65535)
    https_port = v.integer("https_port", s["https_port"], 1, 65535)
    if http_port == https_port:
        v.fail("https_port", f"{https_port} is also caddy_tls_http_port")
    site_only = v.choice("config_mode", s["config_mode"], CONFIG_MODES) == "site"

    log_output = v.choice("log_output", s["log_output"], LOG_OUTPUTS)
    log_file = roll_size = ""
    roll_keep = 0
    if log_output == "file":
        log_file = v.absolute_path("log_file", s["log_file"], allow_empty=False)
        roll_size = v.text("log_roll_size", s["log_roll_size"])
        if not _ROLL_SIZE.fullmatch(roll_size):
            v.fail("log_roll_size", f"{roll_size!r} is not a size like 100MiB or 50MB")
        roll_keep = v.integer("log_roll_keep", s["log_roll_keep"], 0, 100000)

    return Site(
        domains=domains,
        upstream=upstream,
        upstream_wait=v.integer("upstream_wait", s["upstream_wait"], 0, 300),
        site_only=site_only,
        mode=mode,
        email=email,
        acme_ca=acme_ca,
        acme_ca_root=acme_ca_root,
        http_port=http_port,
        https_port=https_port,
        version=version,
        dns=dns_settings,
        origins=v.origins("cors_origins", s["cors_origins"]),
        allow_headers=[
            v.header_name(f"cors_allow_headers[{index}]", header)
            for index, header in enumerate(v.as_list("cors_allow_headers", s["cors_allow_headers"]))
        ],
        allow_credentials=v.boolean("cors_allow_credentials", s["cors_allow_credentials"]),
        max_age=v.integer("cors_max_age", s["cors_max_age"], 0, 86400 * 7),
        hsts=_hsts(s["hsts"]),
        log_output=log_output,
        log_file=log_file,
        roll_size=roll_size,
        roll_keep=roll_keep,
        log_level=v.choice("log_level", s["log_level"], LOG_LEVELS, upper=True),
        log_skip=_log_skip(s["log_calls"], log_output, version),
        extra=directive_lines("extra_directives", s["extra_directives"]),
        users=_basic_auth_users(s["basic_auth_users"]),
        auth_directive=basic_auth_directive(s["caddy_version"]),
    )
