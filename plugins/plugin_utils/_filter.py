# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side glue between the validation core and the filters."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.module_utils._validate import InvalidSetting


def filter_error(filter_name: str, var_prefix: str, error: InvalidSetting) -> AnsibleFilterError:
    """The error a filter raises: it names the filter and the caller's variable."""
    return AnsibleFilterError(f"{filter_name}: {var_prefix}{error.where}: {error.message}")
