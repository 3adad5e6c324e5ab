#!/usr/bin/python
# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubo_config
short_description: Merge RPC authorization, CORS and API address settings into a Kubo config file
version_added: 1.1.0
author: secure_kubo.rpc contributors (@secure-kubo)
description:
  - Reads a Kubo config file (C(<repo>/config)) on the managed host, merges the RPC clients, CORS
    origins and RPC address into it and writes it back only when the data changed. The file never
    leaves the host, so the node's private key stays there.
  - The merge is the one of the P(secure_kubo.rpc.kubo_api_merge#filter) filter, the same code. Every
    other key, C(Identity) above all, is kept as it was, in the same order, and bad settings are
    refused with an error that names the setting and never contains a secret.
  - The file is compared as data, not text, so a file that differs only in formatting is left alone.
    It is written atomically (a temporary file in the same directory, then a rename), with mode
    C(0600) and the requested owner and group, after an optional timestamped backup. Owner, group
    and mode are corrected even when the content needs no change, since the file holds secrets.
  - Refuses, before anything is written, to leave C(API.Authorizations) empty (Kubo then answers
    every RPC call without credentials) unless O(allow_open_api=true), and even then while the local
    Caddy (its admin API at O(caddy_admin)) still proxies to Kubo's RPC address.
  - In diff mode the diff is of the config with every secret masked, as
    P(secure_kubo.rpc.kubo_config_mask#filter) masks it.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Nothing is written; the result says whether the file would change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The diff is of the config with every secret masked.
options:
  path:
    description: The Kubo config file, C(<IPFS_PATH>/config). It must exist and be a JSON object.
    type: path
    required: true
  clients:
    description:
      - RPC clients. Each has a O(clients[].name) and exactly one of O(clients[].username) plus
        O(clients[].password) (becomes C(basic:USER:PASS)), O(clients[].token) (becomes
        C(bearer:TOKEN)) or a literal O(clients[].auth_secret).
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
        description: HTTP Basic password; at least O(min_secret_length) printable ASCII characters.
        type: str
      token:
        description: Bearer token; at least O(min_secret_length) printable ASCII characters.
        type: str
      auth_secret:
        description: A literal Kubo AuthSecret (C(basic:...), C(bearer:...) or a bare token).
        type: str
      allowed_paths:
        description: RPC path prefixes this client may call, each C(/api/v0) or starting with C(/api/v0/).
        type: list
        elements: str
  mode:
    description:
      - V(exclusive) makes O(clients) the whole of C(API.Authorizations), so a client removed from the
        list loses access. V(merge) only adds and updates entries.
    type: str
    choices: [exclusive, merge]
    default: exclusive
  min_secret_length:
    description: Shortest password or token accepted.
    type: int
    default: 16
  cors_origins:
    description: Browser origins (C(https://host[:port])) allowed to call the API.
    type: list
    elements: str
    default: []
  cors_allow_credentials:
    description: Also set C(Access-Control-Allow-Credentials) when origins are given.
    type: bool
    default: true
  api_address:
    description: Multiaddr (or list of them) for C(Addresses.API); loopback or a unix socket.
    type: raw
    default: /ip4/127.0.0.1/tcp/5001
  allow_public_api:
    description: Accept an O(api_address) that is not on loopback.
    type: bool
    default: false
  allow_open_api:
    description:
      - Accept a result in which C(API.Authorizations) is empty, so that Kubo answers every RPC call
        without credentials. Refused all the same while the Caddy at O(caddy_admin) proxies to Kubo.
    type: bool
    default: false
  caddy_admin:
    description:
      - Caddy's admin API on this host, asked for its running config when C(API.Authorizations) would
        end up empty. An empty string skips the question.
    type: str
    default: http://localhost:2019
  owner:
    description: User that owns the config file (the user that runs Kubo).
    type: str
    required: true
  group:
    description: Group of the config file; the owner's primary group when not given.
    type: str
  backup:
    description: Keep a timestamped copy of the previous file (C(config.<pid>.<date>@<time>~)) before changing it.
    type: bool
    default: false
  var_prefix:
    description: Put before setting names in error messages, so that they name the caller's variables.
    type: str
    default: ""
seealso:
  - plugin: secure_kubo.rpc.kubo_api_merge
    plugin_type: filter
  - module: secure_kubo.rpc.kubo_restart
notes:
  - Kubo reads its config only at start; restart it after a change (M(secure_kubo.rpc.kubo_restart)).
"""

EXAMPLES = r"""
- name: Merge the RPC clients into Kubo's config
  secure_kubo.rpc.kubo_config:
    path: /var/lib/ipfs/config
    owner: ipfs
    clients:
      - name: ci
        username: ci
        password: "{{ vault_kubo_ci_password }}"
      - name: pinner
        token: "{{ vault_kubo_pinner_token }}"
        allowed_paths: [/api/v0/pin/]
    cors_origins: [https://ipfs.example.com]
    backup: true
  register: kubo_config
"""

RETURN = r"""
path:
  description: The config file.
  returned: always
  type: str
  sample: /var/lib/ipfs/config
config_changed:
  description: Whether the content of the file changed (or, in check mode, would change); Kubo needs a restart then.
  returned: always
  type: bool
backup_file:
  description: The copy of the previous file.
  returned: when the content changed and O(backup=true), outside check mode
  type: str
  sample: /var/lib/ipfs/config.1234.2026-01-01@10:00:00~
previous_api_address:
  description: C(Addresses.API) of the file before the change, where a Kubo started with the previous file answers.
  returned: always
  type: raw
  sample: /ip4/127.0.0.1/tcp/5001
api_address:
  description: C(Addresses.API) of the file after the change.
  returned: always
  type: raw
  sample: /ip4/127.0.0.1/tcp/5001
authorizations_empty:
  description: Whether C(API.Authorizations) is empty after the change, so that Kubo answers RPC calls without credentials.
  returned: always
  type: bool
"""

import grp
import json
import os
import pwd
import tempfile
from http.client import HTTPException

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import ConnectionError as UrlConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_auth import DEFAULT_API_ADDRESS
from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_config import (
    InvalidConfig,
    dials,
    mask_config,
    merge_config,
)
from ansible_collections.secure_kubo.rpc.plugins.module_utils._validate import InvalidSetting

_CLIENT_OPTIONS = dict(
    name=dict(type="str", required=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    token=dict(type="str", no_log=True),
    auth_secret=dict(type="str", no_log=True),
    allowed_paths=dict(type="list", elements="str"),
)

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    clients=dict(type="list", elements="dict", default=[], options=_CLIENT_OPTIONS),
    mode=dict(type="str", choices=["exclusive", "merge"], default="exclusive"),
    min_secret_length=dict(type="int", default=16, no_log=False),
    cors_origins=dict(type="list", elements="str", default=[]),
    cors_allow_credentials=dict(type="bool", default=True),
    api_address=dict(type="raw", default=DEFAULT_API_ADDRESS),
    allow_public_api=dict(type="bool", default=False),
    allow_open_api=dict(type="bool", default=False),
    caddy_admin=dict(type="str", default="http://localhost:2019"),
    owner=dict(type="str", required=True),
    group=dict(type="str"),
    backup=dict(type="bool", default=False),
    var_prefix=dict(type="str", default=""),
)


def read_config(module: AnsibleModule, path: str) -> dict:
    """The parsed config; fails, naming the file, when it is missing or not a JSON object."""
    if not os.path.isfile(path):
        module.fail_json(
            msg=f"{path} is missing or not a regular file, so there is no Kubo repository to configure. "
            "Initialise it first (ipfs init, or the secure_kubo.rpc.kubo role) or give the right repository. "
            f"Nothing was written. Backups from earlier runs, if any, are {path}.*~ .",
            path=path,
        )
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        config = error
    if not isinstance(config, dict):
        why = f" ({to_native(config)})" if isinstance(config, Exception) else ""
        module.fail_json(
            msg=f"{path} is not a JSON object{why}, so Kubo cannot start with it either. Nothing was written. "
            f"Repair it, or restore the newest backup ({path}.*~, written by earlier runs) with cp -p BACKUP {path}.",
            path=path,
        )
    return config


def caddy_dials_kubo(module: AnsibleModule, address) -> bool:
    """Whether the local Caddy's running config proxies to this RPC address (False when no Caddy answers)."""
    url = module.params["caddy_admin"].rstrip("/") + "/config/"
    try:
        with open_url(url, timeout=5, http_agent="secure_kubo.rpc.kubo_config") as response:
            running = json.loads(response.read() or b"null")
    except (OSError, ValueError, HTTPException, UrlConnectionError):
        return False  # no Caddy, or not its admin API: nothing proxies through it
    return dials(running, address)


def render(config: dict) -> str:
    """The file's text, as Ansible's to_nice_json(indent=2) writes it (key order kept)."""
    return json.dumps(config, indent=2, sort_keys=False, separators=(",", ": "), ensure_ascii=False)


def write(module: AnsibleModule, path: str, text: str) -> None:
    """Replace the file atomically: a 0600 temporary file next to it, then a rename."""
    handle, temp = tempfile.mkstemp(prefix=".config.", dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        # atomic_move gives the new file the old one's owner and mode, which
        # are already the wanted ones (fixed before).
        module.atomic_move(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    path = params["path"]
    prefix = params["var_prefix"]

    if module.check_mode and not os.path.exists(path):
        # A new host in check mode: the kubo role only pretended to run `ipfs init`.
        module.exit_json(changed=True, path=path, config_changed=True,
                         msg=f"{path} does not exist yet; check mode cannot show the merge before `ipfs init` has run.")
    current = read_config(module, path)
    try:
        merged = merge_config(
            current,
            clients=params["clients"],
            cors_origins=params["cors_origins"],
            api_address=params["api_address"],
            allow_public_api=params["allow_public_api"],
            mode=params["mode"],
            min_secret_length=params["min_secret_length"],
            cors_allow_credentials=params["cors_allow_credentials"],
            var_prefix=prefix,
            allow_open_api=params["allow_open_api"],
        )
    except InvalidConfig as error:
        module.fail_json(msg=f"{path}: {error}. Nothing was written.", path=path)
    except InvalidSetting as error:
        module.fail_json(msg=f"{prefix}{error.where}: {error.message}", path=path)

    result = dict(
        changed=False,
        path=path,
        config_changed=merged != current,
        previous_api_address=(current.get("Addresses") or {}).get("API") or DEFAULT_API_ADDRESS,
        api_address=merged["Addresses"]["API"],
        authorizations_empty=not merged["API"].get("Authorizations"),
    )

    # Fail closed: an empty API.Authorizations turns Kubo's authorization
    # off; never while a Caddy on this host still proxies to Kubo.
    if result["authorizations_empty"] and params["caddy_admin"] and caddy_dials_kubo(module, merged["Addresses"]["API"]):
        module.fail_json(
            msg=f"{prefix}clients is empty, which turns Kubo's authorization off, but the Caddy on this host still "
            "proxies to Kubo's RPC port (its running config dials it). Nothing was written. Withdraw the site first "
            "(caddy_tls_state: absent; site.yml and rotate.yml do this before this role), then run again.",
            path=path,
        )

    # The file holds secrets: only its owner may read it, even when its content needs no change.
    # Set before the write, so that the new file takes these attributes from the old one.
    group = params["group"]
    if group is None:
        try:
            group = grp.getgrgid(pwd.getpwnam(params["owner"]).pw_gid).gr_name
        except KeyError:
            module.fail_json(msg=f"{prefix}owner: there is no user {params['owner']!r} on this host", path=path)
    changed = module.set_owner_if_different(path, params["owner"], False)
    changed = module.set_group_if_different(path, group, changed)
    changed = module.set_mode_if_different(path, "0600", changed)

    if result["config_changed"]:
        changed = True
        if module._diff:  # pylint: disable=protected-access
            result["diff"] = dict(
                before_header=f"{path} (secrets masked)",
                after_header=f"{path} (secrets masked)",
                before=render(mask_config(current)) + "\n",
                after=render(mask_config(merged)) + "\n",
            )
        if not module.check_mode:
            if params["backup"]:
                result["backup_file"] = module.backup_local(path)
            write(module, path, render(merged))
    result["changed"] = changed
    module.exit_json(**result)


if __name__ == "__main__":
    main()
