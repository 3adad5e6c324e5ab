#!/usr/bin/python
# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: kubo_host_info
short_description: Read what a host has of a Kubo installation, changing nothing
author: secure_kubo.rpc maintainers (@secure-kubo)
version_added: 1.1.0
description:
  - One look at everything the C(kubo) role sets up, so that a run where all of it is in place
    only reads. It reads the version of the C(ipfs) binary, the repository's version and config,
    the system user and group, the repository directory and the systemd unit's state.
  - The C(kubo) role runs it in its preflight, where the repository version also decides whether
    O(binary_path)'s release could run it, and skips each set-up step this module found done.
  - The account and directory checks compare exactly what the role's C(ansible.builtin.group),
    C(ansible.builtin.user) and C(ansible.builtin.file) tasks would set; anything else makes the
    role run those tasks, which then correct it.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: It never changes anything.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  binary_path:
    description: The C(ipfs) binary.
    type: path
    required: true
  repo_path:
    description: The Kubo repository (C(IPFS_PATH)).
    type: path
    required: true
  user:
    description: The system user that runs Kubo and owns O(repo_path).
    type: str
    required: true
  group:
    description: The primary group of O(user).
    type: str
    required: true
  shell:
    description: The login shell O(user) should have.
    type: path
    default: /usr/sbin/nologin
  service:
    description: The systemd unit that runs Kubo.
    type: str
    required: true
"""

EXAMPLES = r"""
---
- name: Read the Kubo installation
  secure_kubo.rpc.kubo_host_info:
    binary_path: /usr/local/bin/ipfs
    repo_path: /var/lib/ipfs
    user: ipfs
    group: ipfs
    service: ipfs
  register: kubo_host

- name: Initialise the repository
  ansible.builtin.command:
    argv: [runuser, -u, ipfs, --, env, IPFS_PATH=/var/lib/ipfs, /usr/local/bin/ipfs, init]
  when: not kubo_host.config_exists
"""

RETURN = r"""
version:
  description: What C(ipfs version --number) printed, or V(null) when the binary is missing or fails.
  returned: always
  type: str
  sample: 0.42.0
version_error:
  description: Why the version could not be read (empty when it could).
  returned: always
  type: str
repo_version:
  description: The repository version in C(<repo_path>/version), or V(null) when there is none.
  returned: always
  type: int
  sample: 18
config_exists:
  description: Whether C(<repo_path>/config) exists (the repository was initialised).
  returned: always
  type: bool
group_ok:
  description: Whether O(group) exists.
  returned: always
  type: bool
user_ok:
  description: Whether O(user) exists with O(group) as primary group, O(repo_path) as home and O(shell).
  returned: always
  type: bool
repo_dir_ok:
  description: Whether O(repo_path) is a directory owned by O(user) and O(group) with mode C(0700).
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
"""

import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.secure_kubo.rpc.plugins.module_utils._systemd import unit_state


def read_version(module: AnsibleModule, binary: str) -> tuple[str | None, str]:
    if not os.path.exists(binary):
        return None, f"{binary} does not exist"
    try:
        rc, out, err = module.run_command([binary, "version", "--number"], handle_exceptions=False)
    except OSError as error:
        return None, str(error)
    if rc != 0:
        return None, (err or out).strip()[-500:] or f"exit {rc}"
    return out.strip(), ""


def read_repo_version(repo: str) -> int | None:
    try:
        with open(os.path.join(repo, "version"), encoding="ascii") as stream:
            return int(stream.read().strip())
    except (OSError, ValueError):
        return None


def account(user: str, group: str, home: str, shell: str) -> tuple[bool, bool, int | None, int | None]:
    """(group exists, user as the role sets it, uid, gid)."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        return False, False, None, None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return True, False, None, gid
    user_ok = entry.pw_gid == gid and os.path.normpath(entry.pw_dir) == os.path.normpath(home) and entry.pw_shell == shell
    return True, user_ok, entry.pw_uid, gid


def repo_dir_ok(path: str, uid: int | None, gid: int | None) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == uid and info.st_gid == gid
            and stat.S_IMODE(info.st_mode) == 0o700)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "binary_path": {"type": "path", "required": True},
            "repo_path": {"type": "path", "required": True},
            "user": {"type": "str", "required": True},
            "group": {"type": "str", "required": True},
            "shell": {"type": "path", "default": "/usr/sbin/nologin"},
            "service": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    version, version_error = read_version(module, params["binary_path"])
    group_ok, user_ok, uid, gid = account(params["user"], params["group"], params["repo_path"], params["shell"])
    unit = unit_state(module, params["service"])
    module.exit_json(
        changed=False,
        version=version,
        version_error=version_error,
        repo_version=read_repo_version(params["repo_path"]),
        config_exists=os.path.isfile(os.path.join(params["repo_path"], "config")),
        group_ok=group_ok,
        user_ok=user_ok,
        repo_dir_ok=user_ok and repo_dir_ok(params["repo_path"], uid, gid),
        service_active=unit["active"],
        service_enabled=unit["enabled"],
    )


if __name__ == "__main__":
    main()
