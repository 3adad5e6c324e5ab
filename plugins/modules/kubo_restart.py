#!/usr/bin/python
# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubo_restart
short_description: Make the running Kubo use its config file, and roll back a config it refuses
version_added: 1.1.0
author: secure_kubo.rpc contributors (@secure-kubo)
description:
  - Kubo reads its config only at start. This module restarts it when O(restart=always) (the config
    has just changed) or, with O(restart=stale), when the running Kubo started before the file's last
    change or does not answer at the file's RPC address, so that a run cut short between writing the file and
    the restart is finished by the next one. Kubo itself says when it started
    (C(process_start_time_seconds) on C(/debug/metrics/prometheus), next to the RPC API), whatever
    runs it.
  - After a restart it waits for the RPC API to answer over HTTP (C(POST /api/v0/version) gets 200,
    or 403 without credentials) at the first address of the file's C(Addresses.API), C(/unix/)
    sockets included; another process holding the port does not pass for Kubo.
  - When Kubo does not come back and O(restore=true), the file Kubo rejected is kept as
    C(<path>.rejected) (mode C(0600)), O(backup_file) is put back, a systemd unit's failed state is
    cleared, Kubo is started again and waited for at the previous address; the module then fails
    with a message that says what happened and shows Kubo's log (O(logs_command)).
  - Last, unless O(require_auth=false), it fails when Kubo answers an RPC call without credentials,
    since the daemon then does not run with a config that requires them.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Asks Kubo when it started, restarts nothing and reports whether it would.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  path:
    description: The Kubo config file, C(<IPFS_PATH>/config).
    type: path
    required: true
  restart:
    description:
      - V(always) restarts Kubo (its config changed), V(stale) only when it started before O(path) last
        changed or does not answer, V(never) restarts nothing and only checks.
    type: str
    choices: [always, stale, never]
    default: stale
  service:
    description: systemd system unit that runs Kubo, restarted with C(systemctl restart) unless O(restart_command) is set.
    type: str
    default: ipfs
  restart_command:
    description:
      - Arguments of a command, run without a shell, that restarts Kubo instead of the unit, for
        example C([podman, restart, ipfs]) or C([systemctl, --user, -M, "alice@", restart, ipfs]).
        It must also start a Kubo that is stopped or failed.
      - A C(systemctl ... restart UNIT) command is run with C(reset-failed) in place of C(restart) before
        the restore, since systemd's start limit can hold any unit down.
    type: list
    elements: str
    default: []
  logs_command:
    description:
      - Arguments of a command whose output is shown when Kubo does not start. Empty means the journal of
        O(service) when O(restart_command) is empty, and no log otherwise.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait after a restart for the RPC API to answer.
    type: int
    default: 60
  backup_file:
    description: The previous config, put back when Kubo does not start with O(path).
    type: path
  restore:
    description: Restore O(backup_file) when Kubo does not start with the new config.
    type: bool
    default: true
  require_auth:
    description: Fail when Kubo answers C(POST /api/v0/version) without credentials (HTTP 200).
    type: bool
    default: true
seealso:
  - module: secure_kubo.rpc.kubo_config
"""

EXAMPLES = r"""
- name: Merge the RPC clients into Kubo's config
  secure_kubo.rpc.kubo_config:
    path: /var/lib/ipfs/config
    owner: ipfs
    clients: "{{ kubo_clients }}"
    backup: true
  register: config

- name: Restart Kubo if its config changed, roll back if it does not start
  secure_kubo.rpc.kubo_restart:
    path: /var/lib/ipfs/config
    restart: "{{ 'always' if config.config_changed else 'stale' }}"
    backup_file: "{{ config.backup_file | default(omit) }}"

- name: Kubo in a container
  secure_kubo.rpc.kubo_restart:
    path: /srv/ipfs/config
    restart_command: [podman, restart, ipfs]
    logs_command: [podman, logs, --tail, "30", ipfs]
"""

RETURN = r"""
restarted:
  description: Whether Kubo was restarted (or, in check mode, would be).
  returned: always
  type: bool
reason:
  description: Why Kubo was restarted; empty when it was not.
  returned: always
  type: str
  sample: Kubo started before /var/lib/ipfs/config last changed; restarting it.
url:
  description: Where the RPC API was asked (with RV(unix_socket) for a C(/unix/) address).
  returned: always
  type: str
  sample: http://127.0.0.1:5001
unix_socket:
  description: The socket of a C(/unix/) RPC address, else empty.
  returned: always
  type: str
anonymous_status:
  description: HTTP status of C(POST /api/v0/version) without credentials (C(-1) for no answer); not asked in check mode.
  returned: always
  type: int
  sample: 403
"""

import json
import os
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_api import request, wait_for_kubo
from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_config import (
    ApiTarget,
    InvalidConfig,
    api_addresses,
    api_target,
)

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    restart=dict(type="str", choices=["always", "stale", "never"], default="stale"),
    service=dict(type="str", default="ipfs"),
    restart_command=dict(type="list", elements="str", default=[]),
    logs_command=dict(type="list", elements="str", default=[]),
    timeout=dict(type="int", default=60),
    backup_file=dict(type="path"),
    restore=dict(type="bool", default=True),
    require_auth=dict(type="bool", default=True),
)

_STARTED = re.compile(r"process_start_time_seconds ([0-9.eE+]+)")
# The kernel's boot time is whole seconds, so is Kubo's start time: a Kubo
# started right after the last write must not be restarted at every run.
_START_PRECISION = 1.0


class Kubo:
    """How this host restarts Kubo, clears its failed state and reads its log."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        params = module.params
        self.restart_argv = params["restart_command"] or ["systemctl", "restart", params["service"]]
        systemctl = os.path.basename(self.restart_argv[0]) == "systemctl" and "restart" in self.restart_argv
        self.reset_argv = ["reset-failed" if arg == "restart" else arg for arg in self.restart_argv] if systemctl else []
        self.logs_argv = params["logs_command"] or (
            [] if params["restart_command"]
            else ["journalctl", "--unit", params["service"], "--lines", "30", "--no-pager", "--output", "cat"])

    def run(self, argv: list[str]) -> tuple[int, str, str]:
        try:
            return self.module.run_command(argv, handle_exceptions=False)
        except OSError as error:
            return 127, "", to_native(error)

    def restart(self) -> str:
        """Restart Kubo; '' on success, else what went wrong."""
        rc, out, err = self.run(self.restart_argv)
        if rc == 0:
            return ""
        return f"`{' '.join(self.restart_argv)}` exited with {rc}: {(err or out).strip()}"

    def log(self) -> list[str]:
        if not self.logs_argv:
            return ["Set kubo_api_auth_logs_command (logs_command) to see Kubo's log here."]
        dummy, out, err = self.run(self.logs_argv)
        return [f"Kubo's log ({' '.join(self.logs_argv)}):"] + out.splitlines() + err.splitlines()


def read_config(module: AnsibleModule, path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        module.fail_json(msg=f"{path} cannot be read as Kubo's config: {to_native(error)}")
    if not isinstance(config, dict):
        module.fail_json(msg=f"{path} is not a JSON object, so Kubo cannot start with it.")
    return config


def target_of(module: AnsibleModule, config: dict, path: str) -> ApiTarget:
    try:
        return api_target(api_addresses(config))
    except InvalidConfig as error:
        module.fail_json(msg=f"{path}: {error}")


def stale_reason(module: AnsibleModule, target: ApiTarget, path: str) -> str:
    """Why Kubo must be restarted although this run did not change its config; '' when it need not."""
    status, metrics = request(target, "/debug/metrics/prometheus", "GET", 5)
    if status == -1:
        return f"Kubo does not answer at {target.url}, the API address in {path}; starting it again."
    found = next(filter(None, map(_STARTED.fullmatch, metrics.splitlines())), None)
    if not found:
        module.warn(
            f"{target.url}/debug/metrics/prometheus answered HTTP {status} without process_start_time_seconds, "
            f"so this run cannot tell whether Kubo runs the config in {path} (a run cut short before its restart "
            "is not finished)."
        )
        return ""
    if loaded_at(float(found.group(1)), path) + _START_PRECISION < os.stat(path).st_mtime:
        return f"Kubo started before {path} last changed; restarting it."
    return ""


def loaded_at(started: float, path: str) -> float:
    """When the running Kubo had read its config: the `api` file next to it, which Kubo writes
    once its RPC listener is up, if this process wrote it; else the process's start time.

    A repository migration (`--migrate` after an upgrade) rewrites the config after the process
    started and before Kubo reads it, so the start time alone would call that Kubo stale.
    """
    try:
        written = os.stat(os.path.join(os.path.dirname(path), "api")).st_mtime
    except OSError:
        return started
    return written if written + _START_PRECISION >= started else started


def copy_file(module: AnsibleModule, src: str, dest: str, like: os.stat_result) -> None:
    """Copy src over dest atomically, mode 0600, owned like the config."""
    handle, temp = tempfile.mkstemp(prefix=".config.", dir=os.path.dirname(dest) or ".")
    os.close(handle)
    try:
        shutil.copyfile(src, temp)
        os.chmod(temp, 0o600)
        os.chown(temp, like.st_uid, like.st_gid)
        module.atomic_move(temp, dest)
        os.chmod(dest, 0o600)
        os.chown(dest, like.st_uid, like.st_gid)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def roll_back(module: AnsibleModule, kubo: Kubo, path: str, failure: str) -> None:
    """Kubo did not start with the new config: restore the previous one if allowed, then fail."""
    params = module.params
    log = kubo.log()  # before the restore, which restarts Kubo and moves its log on
    backup = params["backup_file"]
    if params["restore"] and backup:
        owner = os.stat(path)
        copy_file(module, path, path + ".rejected", owner)  # kept for inspection; it holds secrets
        copy_file(module, backup, path, owner)
        if kubo.reset_argv:
            # Restart=on-failure may have retried the bad config until
            # systemd's start limit refused further starts.
            kubo.run(kubo.reset_argv)
        previous = target_of(module, read_config(module, path), path)
        error = kubo.restart()
        back = not error and wait_for_kubo(previous, params["timeout"])[0]
        outcome = (f"The previous config was restored from {backup} and Kubo "
                   f"{'is running again' if back else 'did not answer with it either'}; "
                   f"the rejected config is {path}.rejected.")
    else:
        outcome = (f"The previous config is kept at {backup}." if backup else
                   "There is no backup of a previous config to restore (this run did not change the config, "
                   "or kubo_api_auth_backup is false).")
    module.fail_json(msg="\n".join([f"Kubo did not start with the new config: {failure}", outcome] + log),
                     changed=True, restarted=True)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    path = params["path"]
    result = dict(changed=False, restarted=False, reason="", url="", unix_socket="", anonymous_status=-1)

    if not os.path.isfile(path):
        if module.check_mode:  # a new host: the kubo role only pretended to run `ipfs init`
            module.exit_json(msg=f"{path} does not exist yet; check mode cannot tell whether Kubo needs a restart.", **result)
        module.fail_json(msg=f"{path} is missing or not a regular file, so Kubo has no config to run.", **result)
    target = target_of(module, read_config(module, path), path)
    result.update(url=target.url, unix_socket=target.unix_socket)

    reason = ""
    if params["restart"] == "always":
        reason = f"{path} changed; restarting Kubo."
    elif params["restart"] == "stale":
        reason = stale_reason(module, target, path)
        if reason:
            module.warn(reason)
    result.update(changed=bool(reason), restarted=bool(reason), reason=reason)
    if module.check_mode:
        module.exit_json(**result)

    if reason:
        kubo = Kubo(module)
        error = kubo.restart()
        if not error:
            answered, status, dummy = wait_for_kubo(target, params["timeout"])
            if not answered:
                error = (f"its RPC API did not answer at {target.url}{' (' + target.unix_socket + ')' if target.unix_socket else ''} "
                         f"within {params['timeout']} s (last status {status})")
        if error:
            roll_back(module, kubo, path, error)

    # Fail closed: the promise is a Kubo that refuses anonymous RPC calls, so
    # it is checked on the running daemon, not only in the file.
    result["anonymous_status"] = request(target, "/api/v0/version", "POST", 5)[0]
    if params["require_auth"] and result["anonymous_status"] == 200:
        module.fail_json(
            msg=f"Kubo answers RPC calls without credentials at {target.url} (HTTP 200 to an anonymous POST "
            f"/api/v0/version), although {path} should require them. The daemon does not run with that config: it is "
            "older than Kubo 0.25 (ipfs version), it runs from another repository (check IPFS_PATH in the unit and "
            "set kubo_api_auth_repo_path), or it was not restarted (kubo_api_auth_restart). Do not publish this API "
            "until this is fixed; caddy_tls refuses to.",
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
