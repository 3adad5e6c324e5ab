# Copyright (c) 2026, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts the tasks each host ran, for measuring no-op runs (test tooling,
not shipped: galaxy.yml leaves tests/ out of the build).

    ANSIBLE_CALLBACK_PLUGINS=tests/callbacks ANSIBLE_CALLBACKS_ENABLED=task_count \
        ansible-playbook ... site.yml

At the end it prints one line per host (ran = ok + changed + failed, handlers
included; skipped; total) and, if TASK_COUNT_OUT names a file, writes the same
as JSON there. Meta tasks (flush_handlers) are not counted.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: task_count
type: aggregate
short_description: count the tasks run and skipped per host
description: Test tooling of secure_kubo.rpc, for the no-op benchmarks.
requirements: [enable in ANSIBLE_CALLBACKS_ENABLED]
"""


class CallbackModule(CallbackBase):
    """Tallies per host: ok, changed, failed, skipped."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'task_count'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, dict[str, int]] = {}
        self.tasks: dict[str, list[str]] = {}

    def _count(self, result, kind: str) -> None:
        host = result._host.get_name()
        tally = self.counts.setdefault(host, {'ok': 0, 'changed': 0, 'failed': 0, 'skipped': 0})
        if kind == 'ok' and result._result.get('changed'):
            kind = 'changed'
        tally[kind] += 1
        if kind != 'skipped':
            self.tasks.setdefault(host, []).append(result._task.get_name())

    def v2_runner_on_ok(self, result) -> None:
        self._count(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        self._count(result, 'failed')

    def v2_runner_on_skipped(self, result) -> None:
        self._count(result, 'skipped')

    def v2_playbook_on_stats(self, stats) -> None:
        report = {}
        for host, tally in sorted(self.counts.items()):
            ran = tally['ok'] + tally['changed'] + tally['failed']
            report[host] = dict(tally, ran=ran, total=ran + tally['skipped'], tasks=self.tasks.get(host, []))
            self._display.display(
                f"TASK COUNT {host}: ran {ran} (changed {tally['changed']}, failed {tally['failed']}), "
                f"skipped {tally['skipped']}, total {ran + tally['skipped']}")
        out = os.environ.get('TASK_COUNT_OUT')
        if out:
            with open(out, 'w', encoding='utf-8') as stream:
                json.dump(report, stream, indent=1)
