# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kubo_api_merge
short_description: Merge RPC authorization, CORS and API address settings into a Kubo config
version_added: 0.1.0
author: secure_kubo.rpc contributors
description:
  - Takes a parsed Kubo config (the JSON of C(<repo>/config)) and returns a copy with
    C(API.Authorizations), the CORS entries of C(API.HTTPHeaders) and C(Addresses.API) set.
  - Every other key is kept exactly as it was, in the same order, so the rewritten file diffs
    cleanly against the old one. C(Identity) is never touched.
  - Input is checked against what Kubo really accepts; anything Kubo would silently drop or
    misread raises an error that names the client and the field. Error messages never contain
    a secret.
  - Merging the result again with the same settings returns an equal config (idempotent).
options:
  _input:
    description: The parsed Kubo config.
    type: dict
    required: true
  clients:
    description:
      - RPC clients. Each has a O(clients[].name) and exactly one of
        O(clients[].username) plus O(clients[].password) (becomes C(basic:USER:PASS)),
        O(clients[].token) (becomes C(bearer:TOKEN)) or a literal O(clients[].auth_secret).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Label of the entry in C(API.Authorizations); letters, digits, C(.), C(_), C(-).
        type: str
        required: true
      username:
        description: HTTP Basic user name; no colon, no whitespace.
        type: str
      password:
        description: HTTP Basic password; at least O(min_secret_length) printable ASCII characters, no whitespace.
        type: str
      token:
        description: Bearer token; at least O(min_secret_length) printable ASCII characters, no whitespace.
        type: str
      auth_secret:
        description:
          - A literal Kubo AuthSecret, for secrets kept in that form. Only C(basic:) and C(bearer:)
            prefixes (or a bare token without a colon) are accepted, because Kubo drops any other
            prefix silently.
        type: str
      allowed_paths:
        description:
          - RPC path prefixes this client may call. Kubo matches by string prefix, so
            C(/api/v0/pin) also admits C(/api/v0/pinning...). Each must be C(/api/v0) or start
            with C(/api/v0/).
        type: list
        elements: str
        default: ["/api/v0"]
  cors_origins:
    description:
      - Browser origins (C(https://host[:port])) written to C(API.HTTPHeaders.Access-Control-Allow-Origin).
      - With O(mode=exclusive) an empty list removes the CORS entries this filter manages.
    type: list
    elements: str
    default: []
  cors_allow_credentials:
    description: Also set C(Access-Control-Allow-Credentials) to C(["true"]) when origins are given.
    type: bool
    default: true
  api_address:
    description: Multiaddr (or list of them) for C(Addresses.API).
    type: raw
    default: /ip4/127.0.0.1/tcp/5001
  allow_public_api:
    description: Accept an O(api_address) that is not loopback. Only for setups where something else protects the port.
    type: bool
    default: false
  mode:
    description:
      - V(exclusive) makes the given clients the whole of C(API.Authorizations), so a client removed
        from the list really loses access. V(merge) only adds and updates entries and leaves others.
    type: str
    choices: [exclusive, merge]
    default: exclusive
  min_secret_length:
    description: Minimum length of passwords and tokens.
    type: int
    default: 16
  var_prefix:
    description: Prefix put before parameter names in error messages, so they name the caller's variables.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Compute the new Kubo config
  ansible.builtin.set_fact:
    new_config: >-
      {{ current_config | secure_kubo.rpc.kubo_api_merge(
           clients=[{'name': 'ci', 'username': 'ci', 'password': vault_ci_password},
                    {'name': 'pinner', 'token': vault_pinner_token, 'allowed_paths': ['/api/v0/pin/']}],
           cors_origins=['https://ipfs.example.com']) }}
  no_log: true
"""

RETURN = r"""
_value:
  description: The merged Kubo config, key order preserved.
  type: dict
"""

import copy
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.plugin_utils._kubo_auth import (
    AUTH_SCHEMES,
    DEFAULT_API_ADDRESS,
    is_allowed_path,
    is_header_safe,
    is_loopback_multiaddr,
    is_valid_client_name,
    is_valid_multiaddr,
    parse_auth_secret,
)

_FILTER = "kubo_api_merge"
_ACAO = "Access-Control-Allow-Origin"
_ACAC = "Access-Control-Allow-Credentials"
_CLIENT_KEYS = {"name", "username", "password", "token", "auth_secret", "allowed_paths"}


def _fail(field: str, problem: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"{_FILTER}: {field}: {problem}")


def _check_secret(field: str, value: Any, min_length: int) -> str:
    if not isinstance(value, str) or value == "":
        raise _fail(field, "must be a non-empty string")
    if not is_header_safe(value):
        raise _fail(field, "must be printable ASCII without whitespace or control characters")
    if len(value) < min_length:
        raise _fail(field, f"is {len(value)} characters long; at least {min_length} are required")
    return value


def _auth_secret(where: str, client: Mapping, min_length: int) -> str:
    """Build the AuthSecret for one client from exactly one credential form."""
    forms = [k for k in ("username", "token", "auth_secret") if client.get(k) is not None]
    if client.get("password") is not None and "username" not in forms:
        raise _fail(f"{where}.username", "is required when password is set")
    if len(forms) != 1:
        raise _fail(where, "needs exactly one of username+password, token or auth_secret")
    form = forms[0]
    if form == "username":
        user = client["username"]
        if not isinstance(user, str) or user == "":
            raise _fail(f"{where}.username", "must be a non-empty string")
        if ":" in user:
            raise _fail(f"{where}.username", "must not contain ':' (HTTP Basic splits user and password there)")
        if not is_header_safe(user):
            raise _fail(f"{where}.username", "must be printable ASCII without whitespace or control characters")
        password = _check_secret(f"{where}.password", client.get("password"), min_length)
        return f"basic:{user}:{password}"
    if form == "token":
        return "bearer:" + _check_secret(f"{where}.token", client["token"], min_length)
    secret = client["auth_secret"]
    if not isinstance(secret, str) or not is_header_safe(secret):
        raise _fail(f"{where}.auth_secret", "must be printable ASCII without whitespace or control characters")
    parsed = parse_auth_secret(secret)
    if parsed.scheme not in AUTH_SCHEMES:
        raise _fail(
            f"{where}.auth_secret",
            f"has the unknown prefix '{parsed.prefix}:'; Kubo accepts only 'basic:' and 'bearer:' "
            "and silently ignores any other entry",
        )
    value = secret.split(":", 1)[1] if ":" in secret else secret
    _check_secret(f"{where}.auth_secret", value, min_length)
    return secret


def _allowed_paths(where: str, paths: Any) -> list[str]:
    if paths is None:
        return ["/api/v0"]
    if not isinstance(paths, list) or not paths:
        raise _fail(where, "must be a non-empty list of path prefixes such as ['/api/v0/pin/']")
    for index, path in enumerate(paths):
        if not isinstance(path, str) or not is_allowed_path(path):
            raise _fail(
                f"{where}[{index}]",
                f"{path!r} is not an RPC path; it must be /api/v0 or start with /api/v0/ "
                "(other paths on Kubo's port are not protected by authorization)",
            )
    return list(paths)


def _authorizations(clients: Any, min_length: int, prefix: str) -> dict[str, dict]:
    field = f"{prefix}clients"
    if not isinstance(clients, list):
        raise _fail(field, "must be a list")
    entries: dict[str, dict] = {}
    secrets: dict[str, str] = {}
    for index, client in enumerate(clients):
        where = f"{field}[{index}]"
        if not isinstance(client, Mapping):
            raise _fail(where, "must be a dict with name and credentials")
        name = client.get("name")
        if not isinstance(name, str) or not is_valid_client_name(name):
            raise _fail(f"{where}.name", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        where = f"{where} ({name})"
        unknown = sorted(set(client) - _CLIENT_KEYS)
        if unknown:
            raise _fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_CLIENT_KEYS))}")
        if name in entries:
            raise _fail(f"{where}.name", "is a duplicate; client names must be unique")
        secret = _auth_secret(where, client, min_length)
        if secret in secrets:
            raise _fail(where, f"has the same credentials as client {secrets[secret]}; Kubo could not tell them apart")
        secrets[secret] = name
        entries[name] = {
            "AuthSecret": secret,
            "AllowedPaths": _allowed_paths(f"{where}.allowed_paths", client.get("allowed_paths")),
        }
    return entries


def _origins(origins: Any, prefix: str) -> list[str]:
    field = f"{prefix}cors_origins"
    if not isinstance(origins, list):
        raise _fail(field, "must be a list of origins such as ['https://ipfs.example.com']")
    for index, origin in enumerate(origins):
        where = f"{field}[{index}]"
        if not isinstance(origin, str) or not is_header_safe(origin):
            raise _fail(where, "must be a string without whitespace or control characters")
        if origin == "*":
            raise _fail(where, "'*' would let every web page drive the node; list the origins instead")
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _fail(where, f"{origin!r} must be scheme://host[:port], e.g. https://ipfs.example.com")
        if parts.path or parts.query or parts.fragment or parts.username or parts.password:
            raise _fail(where, f"{origin!r} must not have a path, query, user or trailing slash")
    return list(origins)


def _api_address(address: Any, allow_public: bool, prefix: str) -> str | list[str]:
    field = f"{prefix}api_address"
    addresses = address if isinstance(address, list) else [address]
    if not addresses:
        raise _fail(field, "must not be empty")
    for addr in addresses:
        if not isinstance(addr, str) or not is_valid_multiaddr(addr):
            raise _fail(field, f"{addr!r} is not a multiaddr like /ip4/127.0.0.1/tcp/5001")
        if not allow_public and not is_loopback_multiaddr(addr):
            raise _fail(
                field,
                f"{addr} is not on loopback; Kubo's RPC port would be reachable without TLS "
                f"(set {prefix}allow_public_api to accept it)",
            )
    return address


def kubo_api_merge(
    config: Mapping,
    clients: list | None = None,
    cors_origins: list | None = None,
    api_address: str | list = DEFAULT_API_ADDRESS,
    allow_public_api: bool = False,
    mode: str = "exclusive",
    min_secret_length: int = 16,
    cors_allow_credentials: bool = True,
    var_prefix: str = "",
) -> dict:
    """Return a copy of a Kubo config with the API settings merged in."""
    if not isinstance(config, Mapping):
        raise _fail("config", f"must be a dict (the parsed Kubo config), got {type(config).__name__}")
    if not isinstance(config.get("Identity"), Mapping) or "PeerID" not in config["Identity"]:
        raise _fail("config", "has no Identity.PeerID; this does not look like a Kubo config")
    for section in ("API", "Addresses"):
        if config.get(section) is not None and not isinstance(config[section], Mapping):
            raise _fail("config", f"{section} must be an object")
    if mode not in ("exclusive", "merge"):
        raise _fail(f"{var_prefix}mode", f"{mode!r} must be 'exclusive' or 'merge'")
    if not isinstance(min_secret_length, int) or isinstance(min_secret_length, bool) or min_secret_length < 1:
        raise _fail(f"{var_prefix}min_secret_length", "must be a positive integer")

    wanted = _authorizations(clients if clients is not None else [], min_secret_length, var_prefix)
    origins = _origins(cors_origins if cors_origins is not None else [], var_prefix)
    address = _api_address(api_address, allow_public_api, var_prefix)

    # Assigning to an existing key keeps its position, so the file diffs cleanly.
    # A JSON round trip copies the (JSON-born) config: deepcopy of Ansible's
    # lazy templated containers cost seconds of controller CPU per call.
    merged = json.loads(json.dumps(config))
    api = merged.get("API") or {}
    merged["API"] = api

    existing = api.get("Authorizations") or {}
    if mode == "exclusive":
        authorizations = wanted
    else:
        authorizations = dict(existing)
        authorizations.update(wanted)
    if authorizations or "Authorizations" in api:
        api["Authorizations"] = authorizations

    headers = api.get("HTTPHeaders") or {}
    if origins:
        if mode == "merge":
            origins = list(headers.get(_ACAO) or []) + [o for o in origins if o not in (headers.get(_ACAO) or [])]
        headers[_ACAO] = origins
        if cors_allow_credentials:
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


class FilterModule:
    """Kubo config filters."""

    def filters(self) -> dict:
        return {"kubo_api_merge": kubo_api_merge}
