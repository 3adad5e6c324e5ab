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

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_auth import DEFAULT_API_ADDRESS
from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_config import InvalidConfig, merge_config
from ansible_collections.secure_kubo.rpc.plugins.module_utils._validate import InvalidSetting
from ansible_collections.secure_kubo.rpc.plugins.plugin_utils._filter import filter_error

FILTER = "kubo_api_merge"


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
    """Return a copy of a Kubo config with the API settings merged in.

    The merge itself is plugins/module_utils/_kubo_config.py, which the
    kubo_config module runs on the host: the two cannot disagree.
    """
    try:
        return merge_config(
            config, clients, cors_origins, api_address, allow_public_api, mode, min_secret_length,
            cors_allow_credentials, var_prefix, allow_open_api,
        )
    except InvalidConfig as error:
        raise AnsibleFilterError(f"{FILTER}: config: {error}") from None
    except InvalidSetting as error:
        raise filter_error(FILTER, var_prefix, error) from None


class FilterModule:
    """Kubo config filters."""

    def filters(self) -> dict:
        return {"kubo_api_merge": kubo_api_merge}
