# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kubo_config_mask
short_description: Hide every secret in a Kubo config, for diffs and logs
version_added: 1.0.0
author: secure_kubo.rpc contributors
description:
  - Returns a copy of a parsed Kubo config in which every secret is replaced by a mask, so that
    the config can be shown in diff mode or in a log.
  - Masked are C(Identity.PrivKey), every C(API.Authorizations.*.AuthSecret) (the scheme and,
    for basic auth, the user name stay visible so a diff still says which client changed) and
    the API keys of remote pinning services (C(Pinning.RemoteServices.*.API.Key)).
  - The input is not modified; key order is kept.
options:
  _input:
    description: The parsed Kubo config.
    type: dict
    required: true
  mask:
    description: Text that replaces each secret.
    type: str
    default: "********"
"""

EXAMPLES = r"""
- name: Show which RPC clients are configured, without their secrets
  ansible.builtin.debug:
    msg: "{{ (kubo_config | secure_kubo.rpc.kubo_config_mask).API.Authorizations }}"
"""

RETURN = r"""
_value:
  description: The config with secrets masked.
  type: dict
"""

import copy
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_auth import MASK, mask_auth_secret


def _section(config: Any, *path: str) -> Any:
    """Walk nested dicts; None when any step is missing or not a dict."""
    for key in path:
        if not isinstance(config, Mapping):
            return None
        config = config.get(key)
    return config


def kubo_config_mask(config: Mapping, mask: str = MASK) -> dict:
    """Return a copy of a Kubo config with every secret replaced by a mask."""
    if not isinstance(config, Mapping):
        raise AnsibleFilterError(f"kubo_config_mask: input must be a dict (the parsed Kubo config), got {type(config).__name__}")
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


class FilterModule:
    """Kubo config filters."""

    def filters(self) -> dict:
        return {"kubo_config_mask": kubo_config_mask}
