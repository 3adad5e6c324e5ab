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

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_auth import MASK
from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_config import mask_config


def kubo_config_mask(config: Mapping, mask: str = MASK) -> dict:
    """Return a copy of a Kubo config with every secret replaced by a mask.

    The same masking as the diff of the kubo_config module (module_utils/_kubo_config.py).
    """
    if not isinstance(config, Mapping):
        raise AnsibleFilterError(f"kubo_config_mask: input must be a dict (the parsed Kubo config), got {type(config).__name__}")
    return mask_config(config, mask)


class FilterModule:
    """Kubo config filters."""

    def filters(self) -> dict:
        return {"kubo_config_mask": kubo_config_mask}
