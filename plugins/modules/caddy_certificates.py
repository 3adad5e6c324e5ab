#!/usr/bin/python
# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: caddy_certificates
short_description: Wait until Caddy serves a certificate for each of its domains
author: secure_kubo.rpc maintainers (@secure-kubo)
version_added: 1.1.0
description:
  - A domain counts as served once a TLS handshake with it as SNI completes on O(address):O(port).
    Caddy aborts the handshake while it has no certificate for the name. The chain is not verified
    (the host need not trust the CA); clients do that.
  - Tries until every domain is served or O(timeout) seconds have passed, and returns the names still
    missing. It does not fail because of them, so that the caller can say what to do about it.
  - Caddy retries a certificate it failed to get on a back-off of minutes. With O(retry_command), a
    name that is missing at the first try makes the module run that command once (a reload of
    Caddy), so that Caddy tries again at once.
  - With O(journal_unit), the last certificate errors that Caddy logged (C(tls.obtain),
    C(tls.issuance)) are returned when a name is missing.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Looks once, does not wait and does not run O(retry_command); reports changed when it would.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  domains:
    description: The names Caddy should serve. A wildcard C(*.example.com) is tried with a name in its place.
    type: list
    elements: str
    required: true
  port:
    description: Caddy's HTTPS port.
    type: int
    default: 443
  address:
    description: Where Caddy listens.
    type: str
    default: 127.0.0.1
  timeout:
    description: Seconds to wait for the missing names; C(0) tries once.
    type: int
    default: 120
  interval:
    description: Seconds between two tries.
    type: float
    default: 2
  retry_command:
    description:
      - A command (argv) run once when a name is missing at the first try, to make Caddy try to obtain
        it at once, for example C([systemctl, reload, caddy]). Leave it out right after Caddy was
        started, restarted or reloaded, as it is already trying.
    type: list
    elements: str
  journal_unit:
    description: The systemd unit of Caddy, whose journal of the last 10 minutes holds its certificate errors.
    type: str
"""

EXAMPLES = r"""
---
- name: Wait for Caddy's certificates
  secure_kubo.rpc.caddy_certificates:
    domains: [kubo.example.com]
    timeout: 120
    journal_unit: caddy
  register: certificates

- name: Stop when one is missing
  ansible.builtin.fail:
    msg: "No certificate for {{ certificates.missing | join(', ') }}: {{ certificates.errors }}"
  when: certificates.missing | length > 0
"""

RETURN = r"""
missing:
  description: The domains without a certificate when the module gave up (empty when all are served).
  returned: success
  type: list
  elements: str
  sample: [new.kubo.example.com]
served:
  description: The domains served with a certificate.
  returned: success
  type: list
  elements: str
waited:
  description: Seconds spent.
  returned: success
  type: float
  sample: 4.1
retried:
  description: Whether O(retry_command) ran (or would have, in check mode).
  returned: success
  type: bool
errors:
  description: The last (at most 5) certificate errors in the journal of O(journal_unit), when a domain is missing.
  returned: success
  type: list
  elements: str
"""

import socket
import ssl
import time

from ansible.module_utils.basic import AnsibleModule


def served(address: str, port: int, name: str) -> bool:
    """True when a TLS handshake for name completes on address:port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # A wildcard name is served for any label in its place.
    sni = "wildcard-probe" + name[1:] if name.startswith("*.") else name
    try:
        with socket.create_connection((address, port), timeout=5) as sock:
            with context.wrap_socket(sock, server_hostname=sni):
                return True
    except (OSError, ssl.SSLError):
        return False


def certificate_errors(module: AnsibleModule, unit: str) -> list[str]:
    rc, out, dummy = module.run_command(
        ["journalctl", "--unit", unit, "--since", "-10min", "--no-pager", "--output", "cat",
         "--grep", r"tls\.(obtain|issuance)"]
    )
    return out.splitlines()[-5:] if rc == 0 else []


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "domains": {"type": "list", "elements": "str", "required": True},
            "port": {"type": "int", "default": 443},
            "address": {"type": "str", "default": "127.0.0.1"},
            "timeout": {"type": "int", "default": 120},
            "interval": {"type": "float", "default": 2},
            "retry_command": {"type": "list", "elements": "str"},
            "journal_unit": {"type": "str"},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["timeout"] < 0:
        module.fail_json(msg=f"timeout: give 0 or more seconds, not {params['timeout']}")
    start = time.monotonic()
    missing = [name for name in params["domains"] if not served(params["address"], params["port"], name)]
    retried = bool(missing and params["retry_command"])
    if retried and not module.check_mode:
        rc, out, err = module.run_command(params["retry_command"])
        if rc != 0:
            module.fail_json(msg=f"retry_command failed (exit {rc}): {(err or out).strip()[-500:]}", missing=missing)
    while missing and not module.check_mode and time.monotonic() - start < params["timeout"]:
        time.sleep(params["interval"])
        missing = [name for name in missing if not served(params["address"], params["port"], name)]
    errors = certificate_errors(module, params["journal_unit"]) if missing and params["journal_unit"] else []
    module.exit_json(
        changed=retried,
        missing=missing,
        served=[name for name in params["domains"] if name not in missing],
        waited=round(time.monotonic() - start, 1),
        retried=retried,
        errors=errors,
    )


if __name__ == "__main__":
    main()
