# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Kubo config as data: the merge of the RPC settings, the masking of its
secrets, and where its RPC API answers.

The one implementation behind the ``kubo_api_merge`` and ``kubo_config_mask``
filters (on the controller) and the ``kubo_config`` and ``kubo_restart``
modules (on the managed host), so that they cannot disagree. It imports
nothing from Ansible: errors are ``InvalidConfig`` (the config itself) and
``_validate.InvalidSetting`` (a setting), which each caller words for its
own kind of plugin.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ansible_collections.secure_kubo.rpc.plugins.module_utils import _validate as v
from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_auth import (
    DEFAULT_API_ADDRESS,
    MASK,
    authorization_header,
    basic_user,
    check_auth_secret,
    duplicate_headers,
    mask_auth_secret,
    secret_long_enough,
)

_ACAO = "Access-Control-Allow-Origin"
_ACAC = "Access-Control-Allow-Credentials"
_CLIENT_KEYS = {"name", "username", "password", "token", "auth_secret", "allowed_paths"}
_CLIENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class InvalidConfig(ValueError):
    """The Kubo config itself is wrong (not a setting of the caller)."""


def _config_error(problem: str) -> InvalidConfig:
    return InvalidConfig(problem)


def _auth_secret(where: str, client: Mapping, min_length: int) -> str:
    """Build the AuthSecret for one client from exactly one credential form."""
    forms = [k for k in ("username", "token", "auth_secret") if client.get(k) is not None]
    if client.get("password") is not None and "username" not in forms:
        v.fail(f"{where}.username", "is required when password is set")
    if len(forms) != 1:
        v.fail(where, "needs exactly one of username+password, token or auth_secret")
    if forms[0] == "username":
        user = basic_user(f"{where}.username", client["username"])
        password = v.ascii_token(f"{where}.password", client.get("password"))
        return f"basic:{user}:{secret_long_enough(f'{where}.password', password, min_length)}"
    if forms[0] == "token":
        token = v.ascii_token(f"{where}.token", client["token"])
        return "bearer:" + secret_long_enough(f"{where}.token", token, min_length)
    return check_auth_secret(f"{where}.auth_secret", client["auth_secret"], min_length)


def _allowed_paths(where: str, paths: Any) -> list[str]:
    if paths is None:
        return ["/api/v0"]
    if not isinstance(paths, list) or not paths:
        v.fail(where, "must be a non-empty list of path prefixes such as ['/api/v0/pin/']")
    return [v.api_path(f"{where}[{index}]", path) for index, path in enumerate(paths)]


def _clients(clients: Any, min_length: int) -> tuple[dict[str, dict], dict[str, str]]:
    """The wanted entries by name, and where each was given (for messages)."""
    if not isinstance(clients, list):
        v.fail("clients", "must be a list")
    entries: dict[str, dict] = {}
    places: dict[str, str] = {}
    headers: dict[str, str] = {}
    for index, client in enumerate(clients):
        where = f"clients[{index}]"
        if not isinstance(client, Mapping):
            v.fail(where, "must be a dict with name and credentials")
        name = client.get("name")
        if not isinstance(name, str) or not _CLIENT_NAME.fullmatch(name):
            v.fail(f"{where}.name", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        where = f"{where} ({name})"
        unknown = sorted(set(client) - _CLIENT_KEYS)
        if unknown:
            v.fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_CLIENT_KEYS))}")
        if name in entries:
            v.fail(f"{where}.name", "is a duplicate; client names must be unique")
        secret = _auth_secret(where, client, min_length)
        # Kubo keys its table by the header; two entries with one header collide.
        header = authorization_header(secret)
        if header in headers:
            v.fail(
                where,
                f"has the same credentials as client {headers[header]} (both give Kubo the same "
                "Authorization header); Kubo could not tell them apart",
            )
        headers[header] = name
        places[name] = where
        entries[name] = {"AuthSecret": secret, "AllowedPaths": _allowed_paths(f"{where}.allowed_paths", client.get("allowed_paths"))}
    return entries, places


def _authorizations(existing: Mapping, wanted: dict[str, dict], places: dict[str, str], mode: str) -> dict[str, Any]:
    """The new API.Authorizations; refuses two entries that Kubo could not tell apart."""
    if mode == "exclusive":
        return wanted
    merged = dict(existing)
    merged.update(wanted)
    for first, second in duplicate_headers(merged):
        client = second if second in wanted else first if first in wanted else None
        if client is None:
            raise _config_error(
                f"API.Authorizations entries {first!r} and {second!r} give the same Authorization header, "
                "so Kubo could not tell them apart; remove one of them"
            )
        other = first if client == second else second
        v.fail(
            places[client],
            f"has the same credentials as the entry {other!r} already in API.Authorizations (both give "
            "Kubo the same Authorization header); Kubo could not tell them apart",
        )
    return merged


def _api_address(address: Any, allow_public: bool, prefix: str) -> str | list[str]:
    where = "api_address"
    addresses = address if isinstance(address, list) else [address]
    if not addresses:
        v.fail(where, "must not be empty")
    for addr in addresses:
        addr, loopback = v.multiaddr(where, addr)
        if not allow_public and not loopback:
            v.fail(
                where,
                f"{addr} is not on loopback; Kubo's RPC port would be reachable without TLS "
                f"(set {prefix}allow_public_api to accept it)",
            )
    return address


def merge_config(
    config: Mapping,
    clients: list | None = None,
    cors_origins: list | None = None,
    api_address: str | list = DEFAULT_API_ADDRESS,
    allow_public_api: bool = False,
    mode: str = "exclusive",
    min_secret_length: int = 16,
    cors_allow_credentials: bool = True,
    var_prefix: str = "",
    allow_open_api: bool = False,
) -> dict:
    """Return a copy of a Kubo config with the API settings merged in.

    Raises ``InvalidConfig`` when the config is not a Kubo config, and
    ``_validate.InvalidSetting`` for a bad setting (``where`` without
    ``var_prefix``; the prefix is only used inside messages).
    """
    if not isinstance(config, Mapping):
        raise _config_error(f"must be a dict (the parsed Kubo config), got {type(config).__name__}")
    if not isinstance(config.get("Identity"), Mapping) or "PeerID" not in config["Identity"]:
        raise _config_error("has no Identity.PeerID; this does not look like a Kubo config")
    for section in ("API", "Addresses"):
        if config.get(section) is not None and not isinstance(config[section], Mapping):
            raise _config_error(f"{section} must be an object")
    return _merge(
        config, clients, cors_origins, api_address, allow_public_api, mode, min_secret_length,
        cors_allow_credentials, var_prefix, allow_open_api,
    )


def _merge(
    config: Mapping, clients: Any, cors_origins: Any, api_address: Any, allow_public_api: bool, mode: Any,
    min_secret_length: Any, cors_allow_credentials: Any, var_prefix: str, allow_open_api: Any,
) -> dict:
    if mode not in ("exclusive", "merge"):
        v.fail("mode", f"{mode!r} must be 'exclusive' or 'merge'")
    if isinstance(min_secret_length, str) and min_secret_length.strip().isdigit():
        min_secret_length = int(min_secret_length)  # a template gave it as text
    if not isinstance(min_secret_length, int) or isinstance(min_secret_length, bool) or min_secret_length < 1:
        v.fail("min_secret_length", "must be a positive integer")
    wanted, places = _clients(clients if clients is not None else [], min_secret_length)
    origins = v.origins("cors_origins", cors_origins if cors_origins is not None else [])
    address = _api_address(api_address, v.boolean("allow_public_api", allow_public_api), var_prefix)
    allow_credentials = v.boolean("cors_allow_credentials", cors_allow_credentials)

    # Assigning to an existing key keeps its position, so the file diffs cleanly.
    # A JSON round trip copies the (JSON-born) config: deepcopy of Ansible's
    # lazy templated containers cost seconds of controller CPU per call.
    merged = json.loads(json.dumps(config))
    api = merged.get("API") or {}
    merged["API"] = api

    authorizations = _authorizations(api.get("Authorizations") or {}, wanted, places, mode)
    if not authorizations and not v.boolean("allow_open_api", allow_open_api):
        # Kubo turns authorization off when the map is empty or missing.
        v.fail(
            "clients",
            "would leave API.Authorizations empty, and then Kubo answers every RPC call without "
            "credentials. List at least one client. To revoke every client, stop publishing the API "
            "first (caddy_tls_state: absent; site.yml and rotate.yml apply it before this role) and "
            f"set {var_prefix}allow_open_api: true; the RPC API is then open on loopback only, as "
            "after ipfs init",
        )
    if authorizations or "Authorizations" in api:
        api["Authorizations"] = authorizations

    headers = api.get("HTTPHeaders") or {}
    if origins:
        if mode == "merge":
            origins = list(headers.get(_ACAO) or []) + [o for o in origins if o not in (headers.get(_ACAO) or [])]
        headers[_ACAO] = origins
        if allow_credentials:
            headers[_ACAC] = ["true"]
        elif mode == "exclusive":
            headers.pop(_ACAC, None)
    elif mode == "exclusive":
        headers.pop(_ACAO, None)
        headers.pop(_ACAC, None)
    if headers or "HTTPHeaders" in api:
        api["HTTPHeaders"] = headers

    addresses = merged.get("Addresses") or {}
    merged["Addresses"] = addresses
    addresses["API"] = copy.deepcopy(address)
    return merged


# ----------------------------------------------------------------- masking


def _section(config: Any, *path: str) -> Any:
    """Walk nested dicts; None when any step is missing or not a dict."""
    for key in path:
        if not isinstance(config, Mapping):
            return None
        config = config.get(key)
    return config


def mask_config(config: Mapping, mask: str = MASK) -> dict:
    """A copy of a Kubo config with every secret replaced by a mask.

    Identity.PrivKey, every API.Authorizations.*.AuthSecret (scheme and basic
    user name stay visible) and Pinning.RemoteServices.*.API.Key.
    """
    masked = copy.deepcopy(dict(config))

    identity = _section(masked, "Identity")
    if isinstance(identity, dict) and identity.get("PrivKey"):
        identity["PrivKey"] = mask

    authorizations = _section(masked, "API", "Authorizations")
    if isinstance(authorizations, dict):
        for entry in authorizations.values():
            if isinstance(entry, dict) and isinstance(entry.get("AuthSecret"), str):
                entry["AuthSecret"] = mask_auth_secret(entry["AuthSecret"], mask)

    services = _section(masked, "Pinning", "RemoteServices")
    if isinstance(services, dict):
        for service in services.values():
            api = _section(service, "API")
            if isinstance(api, dict) and api.get("Key"):
                api["Key"] = mask
    return masked


# ------------------------------------------------------- the RPC listener


class ApiTarget(NamedTuple):
    """Where to send HTTP requests to reach an RPC listener."""

    url: str  # scheme, host and port, no path: http://127.0.0.1:5001
    unix_socket: str  # the socket path for /unix/ addresses, else ""
    address: str  # the multiaddr it came from


def api_addresses(config: Mapping) -> list[str]:
    """Addresses.API of a config as a list (a string or a list in the file)."""
    address = _section(config, "Addresses", "API")
    if address is None:
        return [DEFAULT_API_ADDRESS]
    return list(address) if isinstance(address, list) else [address]


def api_target(address: Any) -> ApiTarget:
    """The first RPC listen address as a URL (and unix socket) to send requests to.

    Raises ``InvalidConfig`` for an address that no HTTP request can reach.
    """
    first = address[0] if isinstance(address, list) and address else address
    parts = v.split_multiaddr(first)
    if parts is None:
        raise InvalidConfig(f"the RPC address {first!r} is not /ip4|ip6|dns/HOST/tcp/PORT or /unix/PATH")
    if parts.protocol == "unix":
        return ApiTarget("http://localhost", parts.host, first)
    host = f"[{parts.host}]" if parts.protocol == "ip6" else parts.host
    return ApiTarget(f"http://{host}:{parts.port}", "", first)


def dials(proxy_config: Any, address: Any) -> bool:
    """Whether a proxy's JSON config (Caddy's running config) dials this RPC address.

    Caddy names an upstream "HOST:PORT" or "unix//PATH"; any host counts for
    a TCP port (localhost, 127.0.0.1, [::1] all reach a loopback listener).
    """
    target = api_target(address)
    wanted = f"unix/{target.unix_socket}" if target.unix_socket else None
    port = None if wanted else ":" + target.url.rsplit(":", 1)[1]

    def walk(node: Any) -> bool:
        if isinstance(node, Mapping):
            dial = node.get("dial")
            if isinstance(dial, str) and (dial == wanted if wanted else dial.endswith(port)):
                return True
            return any(walk(value) for value in node.values())
        if isinstance(node, list):
            return any(walk(value) for value in node)
        return False

    return walk(proxy_config)
