# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP calls to Kubo's RPC listener from a module on the managed host: the
kubo_restart module waits for Kubo with them, caddy_host_info asks the
upstream whether it refuses calls without credentials."""

from __future__ import annotations

import time
from http.client import HTTPException
from urllib.error import HTTPError

from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import ConnectionError as UrlConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.secure_kubo.rpc.plugins.module_utils._kubo_config import ApiTarget

_AGENT = "secure_kubo.rpc"


def request(target: ApiTarget, path: str, method: str, timeout: float) -> tuple[int, str]:
    """One HTTP request without credentials: (status, body); (-1, why) when nothing answers."""
    try:
        with open_url(target.url + path, method=method, timeout=timeout, unix_socket=target.unix_socket or None,
                      http_agent=_AGENT, use_proxy=False, follow_redirects="none") as response:
            return response.status, response.read().decode("utf-8", "replace")
    except HTTPError as error:
        return error.code, ""
    except (OSError, ValueError, HTTPException, UrlConnectionError) as error:
        return -1, to_native(error) or type(error).__name__


def wait_for_kubo(target: ApiTarget, timeout: float, any_answer: bool = False) -> tuple[bool, int, str]:
    """Wait until ``POST /api/v0/version`` answers 200 or 403 (with ``any_answer``: any HTTP status);
    (answered so, last status, why not)."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = request(target, "/api/v0/version", "POST", 2)
        if status in (200, 403) or (any_answer and status != -1):
            return True, status, ""
        if time.monotonic() >= deadline:
            return False, status, body if status == -1 else f"HTTP {status}"
        time.sleep(1)
