# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kubo_api_merge
short_description: Merge RPC authorization, CORS and API address settings into a Kubo config
version_added: 1.0.0
author: secure_kubo.rpc contributors
description:
  - Takes a parsed Kubo config (the JSON of C(<repo>/config)) and returns a copy with
    C(API.Authorizations), the CORS entries of C(API.HTTPHeaders) and C(Addresses.API) set.
  - Every other key is kept exactly as it was, in the same order, so the rewritten file diffs
    cleanly against the old one. C(Identity) is never touched.
  - Input is checked against what Kubo really accepts; anything Kubo would silently drop or
    misread raises an error that names the client and the field. Error messages never contain
    a secret. Credentials are compared as Kubo compares them, by the C(Authorization) header
    each one produces, so two spellings of one credential are refused (also against entries
    already in the config, in O(mode=merge)).
  - A result without any authorization is refused unless O(allow_open_api=true), because Kubo then
    answers every RPC call without credentials.
  - Origins, host names and ports are checked and normalised by the collection's one
    validation core, shared with P(secure_kubo.rpc.caddyfile#filter), so that Kubo and Caddy
    get the same origins in the same form.
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
          - It gets the checks of the structured forms - C(basic:USER:PASS) needs a user name and a
            password of O(min_secret_length) on its own, C(basic:BASE64) must be the standard
            base64 of such a pair (what clients send), a token must be O(min_secret_length) long.
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
      - Browser origins (C(https://host[:port])) written to C(API.HTTPHeaders.Access-Control-Allow-Origin),
        in the form browsers send in their C(Origin) header (lower case, punycode, no default port,
        no trailing slash), because Kubo compares that header with the list as plain text.
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
  allow_open_api:
    description:
      - Accept a result in which C(API.Authorizations) is empty. Kubo then turns authorization off
        and answers every RPC call without credentials, so the API must not be published.
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
import re
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.module_utils import _validate as v
from ansible_collections.secure_kubo.rpc.plugins.plugin_utils._filter import filter_error
from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_auth import (
    DEFAULT_API_ADDRESS,
    authorization_header,
    basic_user,
    check_auth_secret,
    duplicate_headers,
    secret_long_enough,
)

FILTER = "kubo_api_merge"
_ACAO = "Access-Control-Allow-Origin"
_ACAC = "Access-Control-Allow-Credentials"
_CLIENT_KEYS = {"name", "username", "password", "token", "auth_secret", "allowed_paths"}
_CLIENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _config_error(problem: str) -> AnsibleFilterError:
    """The input config itself is wrong (not a setting of the caller)."""
    return AnsibleFilterError(f"{FILTER}: config: {problem}")


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
    allow_open_api: bool = False,
) -> dict:
    """Return a copy of a Kubo config with the API settings merged in."""
    if not isinstance(config, Mapping):
        raise _config_error(f"must be a dict (the parsed Kubo config), got {type(config).__name__}")
    if not isinstance(config.get("Identity"), Mapping) or "PeerID" not in config["Identity"]:
        raise _config_error("has no Identity.PeerID; this does not look like a Kubo config")
    for section in ("API", "Addresses"):
        if config.get(section) is not None and not isinstance(config[section], Mapping):
            raise _config_error(f"{section} must be an object")
    try:
        return _merge(
            config, clients, cors_origins, api_address, allow_public_api, mode, min_secret_length,
            cors_allow_credentials, var_prefix, allow_open_api,
        )
    except v.InvalidSetting as error:
        raise filter_error(FILTER, var_prefix, error) from None


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


class FilterModule:
    """Kubo config filters."""

    def filters(self) -> dict:
        return {"kubo_api_merge": kubo_api_merge}
