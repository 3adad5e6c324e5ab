#!/usr/bin/python
# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: caddy_basic_auth_hash
short_description: Bcrypt hashes for Caddy's basic auth, stable across runs
author: secure_kubo.rpc maintainers (@secure-kubo)
version_added: 1.1.0
description:
  - Turns the passwords of Caddy basic auth users into bcrypt hashes on the managed host, for the
    P(secure_kubo.rpc.caddyfile#filter) filter, which accepts only hashes.
  - A hash that the Caddyfile at O(path) already holds for a user is kept while the password still
    matches it (checked with the system's C(crypt(3)), which knows bcrypt on Debian and Ubuntu), so
    that a run with the same passwords renders the same file. Otherwise C(caddy hash-password) makes a
    new one; it reads the password from its standard input, so the password never shows up in a
    process list.
  - Changes nothing on the host.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Hashes are made in check mode too (nothing changes). Without Caddy installed a placeholder hash stands in.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  users:
    description: The users, each with exactly one of O(users[].password) and O(users[].password_hash).
    type: list
    elements: dict
    required: true
    suboptions:
      username:
        description: The user name.
        type: str
        required: true
      password:
        description: The password, one line. Never returned or logged.
        type: str
      password_hash:
        description: A bcrypt hash made elsewhere (C(caddy hash-password)); returned as it is.
        type: str
  path:
    description:
      - The Caddyfile (or site file) whose hashes are kept while they match. A missing or unreadable
        file means that every password is hashed anew.
    type: path
    default: /etc/caddy/Caddyfile
  caddy_binary:
    description: The Caddy binary that makes new hashes.
    type: path
    default: /usr/bin/caddy
notes:
  - Leading or trailing blanks in a password are not supported (C(caddy hash-password) strips them);
    the module fails when the new hash does not match the password.
seealso:
  - plugin: secure_kubo.rpc.caddyfile
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Hash the basic auth passwords (keeps hashes that still match)
  secure_kubo.rpc.caddy_basic_auth_hash:
    users:
      - username: admin
        password: "{{ vault_admin_password }}"
    path: /etc/caddy/Caddyfile
  register: caddy_users

- name: Render the Caddyfile with them
  ansible.builtin.set_fact:
    caddyfile_text: >-
      {{ {'domains': ['kubo.example.com'], 'basic_auth_users': caddy_users.users}
         | secure_kubo.rpc.caddyfile }}
"""

RETURN = r"""
users:
  description: The users in the order given, each with C(username) and C(password_hash).
  returned: success
  type: list
  elements: dict
  sample: [{username: admin, password_hash: "$2a$14$QAULm/b88x1/JSp4aGXTi.pm.xCLFptT5Jffqu42Na3.QnnCkTMLy"}]
rehashed:
  description:
    - The users that got a new hash (none in O(path), or the password no longer matches it), so the
      Caddyfile will change.
  returned: success
  type: list
  elements: str
  sample: [admin]
libcrypt:
  description: Whether crypt(3) could check the kept hashes; without it every password is hashed anew.
  returned: success
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.secure_kubo.rpc.plugins.module_utils._caddy_auth import (
    PLACEHOLDER_HASH,
    HashError,
    caddy_hash_password,
    hashes_in_caddyfile,
    load_libcrypt,
    password_matches,
)


def read_hashes(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return hashes_in_caddyfile(handle.read())
    except (OSError, UnicodeError):
        return {}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "users": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "username": {"type": "str", "required": True},
                    "password": {"type": "str", "no_log": True},
                    "password_hash": {"type": "str", "no_log": False},
                },
                "mutually_exclusive": [["password", "password_hash"]],
                "required_one_of": [["password", "password_hash"]],
            },
            "path": {"type": "path", "default": "/etc/caddy/Caddyfile"},
            "caddy_binary": {"type": "path", "default": "/usr/bin/caddy"},
        },
        supports_check_mode=True,
    )
    caddy = module.params["caddy_binary"]
    have_caddy = os.access(caddy, os.X_OK)
    libcrypt = load_libcrypt()
    kept = read_hashes(module.params["path"])
    users, rehashed = [], []
    for user in module.params["users"]:
        username = user["username"]
        if user["password_hash"] is not None:
            users.append({"username": username, "password_hash": user["password_hash"]})
            continue
        password = user["password"]
        if "\n" in password or "\r" in password:
            module.fail_json(msg=f"users: the password of {username} has a line break; give one line")
        password_hash = kept.get(username)
        if password_hash is None or not password_matches(libcrypt, password, password_hash):
            rehashed.append(username)
            if not have_caddy:
                if not module.check_mode:
                    module.fail_json(msg=f"{caddy} is not installed (caddy_binary), so the passwords cannot be hashed")
                password_hash = PLACEHOLDER_HASH
            else:
                try:
                    password_hash = caddy_hash_password(caddy, password)
                except HashError as error:
                    module.fail_json(msg=str(error))
                if password_matches(libcrypt, password, password_hash) is False:
                    module.fail_json(
                        msg=f"the hash from caddy hash-password does not match the password of {username} "
                        "(leading or trailing blanks are not supported)"
                    )
        users.append({"username": username, "password_hash": password_hash})
    module.exit_json(changed=False, users=users, rehashed=rehashed, libcrypt=libcrypt is not None)


if __name__ == "__main__":
    main()
