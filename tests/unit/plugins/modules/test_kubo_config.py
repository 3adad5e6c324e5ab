"""Unit tests for the kubo_config module: its main() run against a config in a temporary directory."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat

import pytest

from ansible_collections.secure_kubo.rpc.plugins.filter.kubo_api_merge import kubo_api_merge
from ansible_collections.secure_kubo.rpc.plugins.modules import kubo_config
from ansible_collections.secure_kubo.rpc.plugins.modules.kubo_config import main

PRIVKEY = "CAESQPrivateKeyMaterial0123456789abcdef"
PASSWORD = "a-password-0123456789"
TOKEN = "a-token-abcdefghijklmnop"
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
CLIENTS = [
    {"name": "ci", "username": "ci", "password": PASSWORD},
    {"name": "pinner", "token": TOKEN, "allowed_paths": ["/api/v0/pin/"]},
]


def kubo_file(tmp_path, **extra) -> str:
    """A Kubo config as `ipfs init` writes it (key order and all), mode 0644."""
    config = {
        "API": {"HTTPHeaders": {}},
        "Addresses": {"API": "/ip4/127.0.0.1/tcp/5001", "Gateway": "/ip4/127.0.0.1/tcp/8080"},
        "Identity": {"PeerID": "12D3KooWTest", "PrivKey": PRIVKEY},
        **extra,
    }
    path = tmp_path / "config"
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o644)
    return str(path)


def args(path: str, **extra) -> dict:
    return {"path": path, "owner": USER, "group": GROUP, "clients": CLIENTS, "caddy_admin": "", **extra}


def test_a_change_is_written_atomically_as_the_filter_merges_it_owner_only(run_module, tmp_path):
    path = kubo_file(tmp_path)
    before = json.loads(open(path).read())
    result = run_module(main, args(path))
    assert result["changed"] and result["config_changed"], result
    written = json.loads(open(path).read())
    assert written == kubo_api_merge(before, CLIENTS), "the module and the filter disagree"
    assert list(written) == list(before), "key order changed"
    info = os.stat(path)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert (info.st_uid, info.st_gid) == (os.getuid(), os.getgid())
    assert not [f for f in os.listdir(tmp_path) if f != "config"], "a temporary file or backup was left behind"
    assert result["authorizations_empty"] is False
    assert result["previous_api_address"] == result["api_address"] == "/ip4/127.0.0.1/tcp/5001"


def test_a_second_run_changes_nothing(run_module, tmp_path):
    path = kubo_file(tmp_path)
    run_module(main, args(path))
    text = open(path).read()
    result = run_module(main, args(path, backup=True))
    assert not result["changed"] and not result["config_changed"], result
    assert "backup_file" not in result
    assert open(path).read() == text


def test_only_the_data_counts_not_the_formatting(run_module, tmp_path):
    path = kubo_file(tmp_path)
    run_module(main, args(path))
    compact = json.dumps(json.loads(open(path).read()))
    open(path, "w").write(compact)
    result = run_module(main, args(path))
    assert not result["config_changed"]
    assert open(path).read() == compact


def test_check_mode_reports_the_change_and_writes_nothing(run_module, tmp_path):
    path = kubo_file(tmp_path)
    text = open(path).read()
    result = run_module(main, args(path, backup=True), check_mode=True, diff=True)
    assert result["changed"] and result["config_changed"]
    assert open(path).read() == text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644, "check mode changed the mode"
    assert os.listdir(tmp_path) == ["config"]
    assert "basic:ci:********" in result["diff"]["after"]


def test_the_diff_is_masked_and_holds_no_secret(run_module, tmp_path):
    path = kubo_file(tmp_path, Pinning={"RemoteServices": {"svc": {"API": {"Key": "remote-pinning-key-42"}}}})
    run_module(main, args(path, clients=[{"name": "ci", "username": "ci", "password": "an-older-password-99"}]))
    result = run_module(main, args(path), diff=True)
    diff = result["diff"]
    shown = json.dumps(result)
    for secret in (PRIVKEY, PASSWORD, TOKEN, "an-older-password-99", "remote-pinning-key-42"):
        assert secret not in shown, "a secret is in the module's result"
    assert "basic:ci:********" in diff["before"] and "basic:ci:********" in diff["after"]
    assert "bearer:********" in diff["after"] and "bearer:" not in diff["before"]
    assert json.loads(diff["after"])["Identity"]["PrivKey"] == "********"


def test_no_diff_outside_diff_mode(run_module, tmp_path):
    assert "diff" not in run_module(main, args(kubo_file(tmp_path)))


def test_backup_keeps_the_previous_file(run_module, tmp_path):
    path = kubo_file(tmp_path)
    text = open(path).read()
    result = run_module(main, args(path, backup=True))
    backup = result["backup_file"]
    assert backup.startswith(path + ".") and backup.endswith("~")
    assert open(backup).read() == text


@pytest.mark.parametrize("content", ["{ broken", "[1, 2]", ""])
def test_a_config_that_is_not_a_json_object_is_refused_and_left_alone(run_module, tmp_path, content):
    path = tmp_path / "config"
    path.write_text(content)
    result = run_module(main, args(str(path)))
    assert result["failed"]
    assert f"{path} is not a JSON object" in result["msg"] and f"{path}.*~" in result["msg"]
    assert path.read_text() == content
    assert os.listdir(tmp_path) == ["config"]


def test_a_missing_config_is_refused_naming_the_path(run_module, tmp_path):
    result = run_module(main, args(str(tmp_path / "config")))
    assert result["failed"] and f"{tmp_path / 'config'} is missing" in result["msg"]


def test_check_mode_on_a_new_host_reports_a_change_without_a_config(run_module, tmp_path):
    # The kubo role only pretended to run `ipfs init`: not an error in check mode.
    result = run_module(main, args(str(tmp_path / "config")), check_mode=True)
    assert not result.get("failed") and result["changed"] and "does not exist yet" in result["msg"]
    assert not (tmp_path / "config").exists()


def test_a_json_object_that_is_no_kubo_config_is_refused(run_module, tmp_path):
    path = tmp_path / "config"
    path.write_text('{"a": 1}')
    result = run_module(main, args(str(path)))
    assert result["failed"] and "Identity.PeerID" in result["msg"] and "Nothing was written" in result["msg"]
    assert path.read_text() == '{"a": 1}'


def test_bad_settings_are_refused_naming_the_variable_without_the_secret(run_module, tmp_path):
    path = kubo_file(tmp_path)
    text = open(path).read()
    result = run_module(main, args(path, var_prefix="kubo_api_auth_",
                                   clients=[{"name": "ci", "auth_secret": "token:abcdefghijklmnopqrstu"}]))
    assert result["failed"]
    assert result["msg"].startswith("kubo_api_auth_clients[0] (ci).auth_secret: has the unknown prefix 'token:'")
    assert "abcdefghijklmnopqrstu" not in json.dumps(result)
    assert open(path).read() == text


def test_an_empty_authorizations_is_refused_unless_asked_for(run_module, tmp_path):
    path = kubo_file(tmp_path)
    refused = run_module(main, args(path, clients=[], var_prefix="kubo_api_auth_"))
    assert refused["failed"] and refused["msg"].startswith("kubo_api_auth_clients: would leave API.Authorizations empty")
    allowed = run_module(main, args(path, clients=[], allow_open_api=True))
    assert allowed["authorizations_empty"] is True and not allowed.get("failed")


def test_an_open_api_is_refused_while_caddy_proxies_to_kubo(run_module, tmp_path, monkeypatch):
    """Caddy's running config names Kubo's port: nothing is written."""
    path = kubo_file(tmp_path)
    text = open(path).read()
    running = {"apps": {"http": {"servers": {"srv0": {"routes": [{"handle": [
        {"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:5001"}]}]}]}}}}}
    asked = []

    class Answer:
        def __init__(self, url, **kwargs):
            asked.append(url)

        def read(self):
            return json.dumps(running).encode()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(kubo_config, "open_url", Answer)
    result = run_module(main, args(path, clients=[], allow_open_api=True, caddy_admin="http://localhost:2019",
                                   var_prefix="kubo_api_auth_"))
    assert asked == ["http://localhost:2019/config/"]
    assert result["failed"] and "kubo_api_auth_clients is empty" in result["msg"] and "Caddy" in result["msg"]
    assert open(path).read() == text
    # Caddy proxying elsewhere does not count.
    running["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["upstreams"][0]["dial"] = "127.0.0.1:8080"
    assert not run_module(main, args(path, clients=[], allow_open_api=True, caddy_admin="http://localhost:2019")).get("failed")


def test_owner_group_and_mode_are_fixed_even_without_a_content_change(run_module, tmp_path):
    path = kubo_file(tmp_path)
    run_module(main, args(path))
    os.chmod(path, 0o644)
    result = run_module(main, args(path))
    assert result["changed"] and not result["config_changed"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.skipif(os.getuid() != 0, reason="chown to another user needs root")
def test_the_written_file_belongs_to_the_requested_user(run_module, tmp_path):
    path = kubo_file(tmp_path)
    nobody = pwd.getpwnam("nobody")
    result = run_module(main, args(path, owner="nobody", group=grp.getgrgid(nobody.pw_gid).gr_name, backup=True))
    info = os.stat(path)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (nobody.pw_uid, nobody.pw_gid, 0o600)
    assert "ci" in json.loads(open(path).read())["API"]["Authorizations"]
    backup = os.stat(result["backup_file"])
    assert stat.S_IMODE(backup.st_mode) & 0o077 == 0, "the backup holds secrets: owner only"


def test_an_unknown_owner_is_refused_before_writing(run_module, tmp_path):
    path = kubo_file(tmp_path)
    text = open(path).read()
    result = run_module(main, args(path, owner="no-such-user-here", group=None))
    assert result["failed"] and "no-such-user-here" in result["msg"]
    assert open(path).read() == text


def test_secret_options_are_no_log():
    spec = kubo_config.ARGUMENT_SPEC["clients"]["options"]
    assert all(spec[name].get("no_log") is True for name in ("password", "token", "auth_secret"))
