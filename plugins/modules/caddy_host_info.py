#!/usr/bin/python
# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: caddy_host_info
short_description: Read what the caddy_tls role needs to know about a host, changing nothing
author: secure_kubo.rpc maintainers (@secure-kubo)
version_added: 1.1.0
description:
  - One look at the host before the C(caddy_tls) role changes it, so that a run where all is in place
    only reads. It reads the installed Caddy's version, whether its package is installed, the
    state of its systemd unit, whose the Caddyfile is, the files earlier runs left, and whether the
    upstream refuses RPC calls without credentials.
  - The Caddyfile's content never comes back (it may hold password hashes), only its checksum and
    whose it is.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: It never changes anything; the upstream is asked once, without waiting.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  binary:
    description: The Caddy binary, asked C(caddy version).
    type: path
    required: true
  package:
    description: A Debian package whose installed state C(dpkg-query) is asked for; left out, it is not asked.
    type: str
  apt_policy:
    description: Also ask C(apt-cache policy) for O(package) (RV(apt_policy)).
    type: bool
    default: false
  service:
    description: Caddy's systemd unit.
    type: str
    required: true
  config_path:
    description: The Caddyfile whose owner RV(caddyfile_foreign) tells.
    type: path
    required: true
  marker:
    description: The first line's beginning of every file the role writes.
    type: str
    required: true
  stock:
    description:
      - The stock Caddyfile of Caddy's packages with comments removed and every run of blanks made one
        space; such a Caddyfile holds nothing of the operator's.
    type: str
    required: true
  legacy_applied_path:
    description: Where an earlier release kept a copy of the Caddyfile it wrote; a Caddyfile equal to it is the role's.
    type: path
  files:
    description: More files to report on (RV(files)).
    type: list
    elements: path
    default: []
  checksum_files:
    description: Those of O(files) whose SHA-1 checksum is wanted.
    type: list
    elements: path
    default: []
  upstream_url:
    description: Kubo's RPC API as C(http://HOST:PORT), asked C(POST /api/v0/version) without credentials; left out, it is not asked.
    type: str
  upstream_socket:
    description: A unix socket to send that request through (then O(upstream_url) is C(http://localhost)).
    type: path
  upstream_wait:
    description: Seconds to wait for an answer from the upstream, which may be restarting; C(0) asks once.
    type: int
    default: 10
"""

EXAMPLES = r"""
---
- name: Read the host
  secure_kubo.rpc.caddy_host_info:
    binary: /usr/bin/caddy
    package: caddy
    service: caddy
    config_path: /etc/caddy/Caddyfile
    marker: "# Managed by secure_kubo.rpc.caddy_tls;"
    stock: ":80 { root * /usr/share/caddy file_server }"
    files: [/var/lib/secure_kubo_rpc/caddy.applied]
    checksum_files: [/var/lib/secure_kubo_rpc/caddy.applied]
    upstream_url: http://127.0.0.1:5001
  register: caddy_host
"""

RETURN = r"""
caddy:
  description: What C(caddy version) gave.
  returned: always
  type: dict
  contains:
    rc:
      description: Its exit status (C(127) when it could not run).
      type: int
    stdout:
      description: What it printed, the version first.
      type: str
    msg:
      description: Why it did not run, or its error output.
      type: str
package_installed:
  description: Whether dpkg has O(package) installed (V(false) when O(package) is left out).
  returned: always
  type: bool
service_active:
  description: Whether systemd runs O(service) now.
  returned: always
  type: bool
service_enabled:
  description: Whether O(service) starts at boot.
  returned: always
  type: bool
invocation_id:
  description: systemd's ID of the current run of O(service) (empty when it has not run since boot).
  returned: always
  type: str
apt_policy:
  description: What C(apt-cache policy) said of O(package), with O(apt_policy) (else empty).
  returned: always
  type: str
caddyfile_exists:
  description: Whether O(config_path) exists.
  returned: always
  type: bool
caddyfile_foreign:
  description:
    - Whether O(config_path) may hold sites of the operator's. It does not when it is missing or empty,
      starts with O(marker), is the stock file (O(stock)), or equals O(legacy_applied_path).
  returned: always
  type: bool
files:
  description: For each of O(files), whether it exists, its modification time and (O(checksum_files)) its SHA-1.
  returned: always
  type: dict
  sample: {/var/lib/secure_kubo_rpc/caddy.applied: {exists: true, mtime: 1764500000.0, checksum: 0a1b...}}
upstream_status:
  description: The HTTP status the upstream answered without credentials, C(-1) for no answer, V(null) when not asked.
  returned: always
  type: int
  sample: 403
upstream_error:
  description: Why the upstream did not answer (empty when it did).
  returned: always
  type: str
"""

import hashlib
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_api import wait_for_kubo
from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_config import ApiTarget
from ansible_collections.secure_kubo.rpc.plugins.module_utils._systemd import unit_state

_COMMENT_LINES = re.compile(r"(?m)^\s*#.*")


def run(module: AnsibleModule, argv: list[str]) -> dict:
    try:
        rc, out, err = module.run_command(argv, handle_exceptions=False)
    except OSError as error:
        return {"rc": 127, "stdout": "", "msg": to_native(error)}
    return {"rc": rc, "stdout": out, "msg": err.strip()}


def sha1(path: str) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_info(path: str, checksum: bool) -> dict:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return {"exists": False}
    result = {"exists": True, "mtime": info.st_mtime}
    if checksum:
        result["checksum"] = sha1(path)
    return result


def foreign(text: str, marker: str, stock: str, legacy: str | None) -> bool:
    """Whether a Caddyfile may hold sites of the operator's (compared as the role's first release did)."""
    if text.startswith(marker) or " ".join(_COMMENT_LINES.sub("", text).split()) in ("", stock):
        return False
    if legacy and os.path.isfile(legacy):
        return hashlib.sha1(text.encode("utf-8")).hexdigest() != sha1(legacy)
    return True


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "binary": {"type": "path", "required": True},
            "package": {"type": "str"},
            "apt_policy": {"type": "bool", "default": False},
            "service": {"type": "str", "required": True},
            "config_path": {"type": "path", "required": True},
            "marker": {"type": "str", "required": True},
            "stock": {"type": "str", "required": True},
            "legacy_applied_path": {"type": "path"},
            "files": {"type": "list", "elements": "path", "default": []},
            "checksum_files": {"type": "list", "elements": "path", "default": []},
            "upstream_url": {"type": "str"},
            "upstream_socket": {"type": "path"},
            "upstream_wait": {"type": "int", "default": 10},
        },
        supports_check_mode=True,
    )
    params = module.params
    caddy = run(module, [params["binary"], "version"])
    installed, policy = False, ""
    if params["package"]:
        query = run(module, ["dpkg-query", "--show", "--showformat=${db:Status-Abbrev}", params["package"]])
        installed = query["rc"] == 0 and query["stdout"].startswith("ii")
        if params["apt_policy"]:
            policy = run(module, ["apt-cache", "policy", params["package"]])["stdout"]
    unit = unit_state(module, params["service"])
    try:
        with open(params["config_path"], encoding="utf-8", errors="surrogateescape") as stream:
            text = stream.read()
        exists = True
    except FileNotFoundError:
        text, exists = "", False
    except OSError as error:
        module.fail_json(msg=f"{params['config_path']} cannot be read: {to_native(error)}")
    status, error = None, ""
    if params["upstream_url"]:
        wait = 0 if module.check_mode else max(params["upstream_wait"], 0)
        target = ApiTarget(params["upstream_url"], params["upstream_socket"] or "", "")
        status, error = wait_for_kubo(target, wait, any_answer=True)[1:]
    module.exit_json(
        changed=False,
        caddy=caddy,
        package_installed=installed,
        service_active=unit["active"],
        service_enabled=unit["enabled"],
        invocation_id=unit["invocation"],
        apt_policy=policy,
        caddyfile_exists=exists,
        caddyfile_foreign=exists and foreign(text, params["marker"], params["stock"], params["legacy_applied_path"]),
        files={path: file_info(path, path in params["checksum_files"]) for path in params["files"]},
        upstream_status=status,
        upstream_error=error,
    )


if __name__ == "__main__":
    main()
