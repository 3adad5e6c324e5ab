# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: caddy_dns_env
short_description: Render the environment file that carries the DNS provider's credentials to Caddy
author: secure_kubo.rpc maintainers
version_added: 1.0.0
description:
  - Takes the secret settings of Caddy's DNS provider (the role variable C(caddy_tls_dns_credentials))
    and returns the text of an environment file for systemd's C(EnvironmentFile=), one
    C(CADDY_TLS_DNS_<KEY>="value") line per setting.
  - The P(secure_kubo.rpc.caddyfile#filter) filter writes the matching placeholders
    C({env.CADDY_TLS_DNS_<KEY>}) into the site's C(tls { dns ... }) block, so that no secret is
    ever in the Caddyfile. Both take the names from one place.
  - Values must be printable ASCII without blanks. They are written in double quotes, with
    C(\), C("), C($) and the backtick escaped, which systemd reads back as the exact value.
  - An error names the setting (C(caddy_tls_dns_credentials.<key>)), never its value.
options:
  _input:
    description: The credentials, C(key) to value.
    type: dict
    required: true
seealso:
  - plugin: secure_kubo.rpc.caddyfile
    plugin_type: filter
  - plugin: secure_kubo.rpc.caddy_tls
    plugin_type: role
"""

EXAMPLES = r"""
---
- name: Write the DNS provider's credentials for Caddy
  ansible.builtin.copy:
    content: "{{ {'key': vault_tsig_secret} | secure_kubo.rpc.caddy_dns_env }}"
    dest: /etc/secure_kubo_rpc/caddy-dns.env
    owner: root
    group: root
    mode: "0600"
  no_log: true
"""

RETURN = r"""
_value:
  description:
    - The environment file, ending with a newline; its first line is the comment
      C(# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten.)
  type: string
"""

from collections.abc import Callable
from typing import Any

from ansible_collections.secure_kubo.rpc.plugins.module_utils import _caddy_dns as dns
from ansible_collections.secure_kubo.rpc.plugins.module_utils import _validate as v
from ansible_collections.secure_kubo.rpc.plugins.plugin_utils._filter import filter_error

FILTER = "caddy_dns_env"
VAR_PREFIX = "caddy_tls_"
HEADER = (
    "# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten.\n"
    "# The DNS provider's credentials (caddy_tls_dns_credentials), given to Caddy by systemd\n"
    "# (EnvironmentFile=); the Caddyfile refers to each as {env.NAME}.\n"
)
# What systemd's parser reads as an escape inside double quotes.
_ESCAPED = str.maketrans({"\\": "\\\\", '"': '\\"', "$": "\\$", "`": "\\`"})


def render_env(credentials: Any) -> str:
    """The environment file text for these credentials."""
    try:
        pairs = dns.credentials("dns_credentials", credentials)
    except v.InvalidSetting as error:
        raise filter_error(FILTER, VAR_PREFIX, error) from None
    return HEADER + "".join(f'{dns.env_name(key)}="{value.translate(_ESCAPED)}"\n' for key, value in pairs)


class FilterModule:
    """Ansible jinja2 filters"""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "caddy_dns_env": render_env,
        }
