"""Run a module's main() in this process, as Ansible would on the host.

`run_module(main, args, check_mode=..., diff=...)` returns the module's
result dict; a fail_json result has ``failed: True``. Arguments go in the
way ansible-core's own unit tests pass them (`patch_module_args` where the
running ansible-core has it, the `_ANSIBLE_ARGS` global before that).
"""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:  # ansible-core 2.19 and later
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # pragma: no cover - older ansible-core
    patch_module_args = None


@contextlib.contextmanager
def _module_args(args: dict):
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS  # pylint: disable=protected-access
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))  # pylint: disable=protected-access
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved  # pylint: disable=protected-access


@pytest.fixture
def run_module(capsys, monkeypatch):
    # Importing a filter plugin (the tests compare with kubo_api_merge) marks
    # this process as the controller, and ansible-core 2.19 then sends a
    # module's warnings to the display instead of its result. On a host the
    # module runs alone.
    try:
        from ansible.module_utils import _internal
    except ImportError:  # pragma: no cover - older ansible-core
        _internal = None
    if getattr(_internal, "is_controller", False):
        monkeypatch.setattr(_internal, "is_controller", False)

    def run(main, args: dict, check_mode: bool = False, diff: bool = False) -> dict:
        full = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_remote_tmp="/tmp",
                    _ansible_keep_remote_files=False)
        capsys.readouterr()
        with _module_args(full), pytest.raises(SystemExit):
            main()
        out = capsys.readouterr().out
        return json.loads(out)

    return run


class FakeKubo:
    """A stand-in for Kubo's RPC listener on 127.0.0.1: answers
    POST /api/v0/version with `status` and serves `process_start_time_seconds`."""

    def __init__(self, status: int = 403, started: float | None = 0.0) -> None:
        self.status = status
        self.started = started
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                fake.requests.append((self.command, self.path))
                if self.path == "/debug/metrics/prometheus":
                    body = b"# HELP go_goroutines\ngo_goroutines 12\n"
                    if fake.started is not None:
                        body += f"process_start_time_seconds {fake.started:.17g}\n".encode()
                    code = 200
                elif self.path == "/api/v0/version" and self.command == "POST":
                    code, body = fake.status, b'{"Version":"0.42.0"}'
                else:
                    code, body = 405, b""
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.address = f"/ip4/127.0.0.1/tcp/{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_kubo():
    kubo = FakeKubo()
    yield kubo
    kubo.close()
