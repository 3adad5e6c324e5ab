# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in this process, as Ansible would run it on a host."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Callable, Iterator
from unittest import mock

from ansible.module_utils import basic

try:  # ansible-core 2.19 and later
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # 2.16 to 2.18
    @contextlib.contextmanager
    def patch_module_args(args: dict[str, Any]) -> Iterator[None]:
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield


def run_module(main: Callable[[], None], capsys: Any, check_mode: bool = False, **args: Any) -> tuple[dict[str, Any], str]:
    """The module's result and its whole output, exactly as printed for the controller."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_remote_tmp="/tmp", _ansible_keep_remote_files=False)
    capsys.readouterr()
    with patch_module_args(args):
        try:
            main()
        except SystemExit:
            pass
    out = capsys.readouterr().out
    return json.loads(out), out
