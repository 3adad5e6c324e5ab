# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property test: no string setting can change the structure of the Caddyfile.

For every string setting, a nasty fragment (a Unicode space, line break,
control or format character, a brace, quote, backslash, placeholder, `import`,
heredoc marker or comment) is put into a harmless value (before, after, in the
middle of it, or instead of it). The filter must then either refuse the
settings (AnsibleFilterError), or BOTH Caddy binaries must adapt its output into
a config with the same skeleton as the output for the harmless BASE settings.
A Caddyfile that Caddy refuses after the filter accepted it is a failure too.
Caddy's warnings are not checked here.

The skeleton (caddy_structure.skeleton) keeps what decides which requests
reach Kubo:

* the top-level keys of the config, the names of the apps and the keys of the
  http app and of each server: an injected global or server option shows up as
  a new key. `logging`, `apps.tls` and each server's `logs` are left out: they
  hold log files, levels and ACME details, which vary with the settings;
* the servers with their `listen` addresses, so a new server or listener is
  caught (sorted: server names depend on the order Caddy met the sites);
* each server's routes in order, with their matchers: the matcher keys (`host`,
  `path`, `method`, `header`, ...) and the values of `host` and `path`, so a
  changed host list or a change of what path is proxied is caught;
* each route's handlers in order, by name (`handler`), recursing into the
  routes of `subroute` handlers (the site block, its `route` block and the
  `handle` blocks in it), and the `dial` addresses of each `reverse_proxy`.

Leaf values that legitimately vary with the setting under test are abstracted:

* domains: a host without spaces, line breaks, control characters, braces
  (placeholders) and backslashes is compared as `<host>`;
* upstream: a `dial` address without such characters is compared as `<dial>`;
* extra_directives, the escape hatch, may add leaf directives (`header`,
  `request_body`, `encode`, a comment instead of the baseline's `header`): in
  the site block itself, handlers other than `subroute` and `reverse_proxy` are
  dropped before comparing. The `route` block, any new `subroute` (`handle`,
  `route`), any `reverse_proxy`, the hosts, servers and listeners are still
  compared exactly.

For extra_directives, one kind of Caddy refusal is not counted: `unrecognized
directive: NAME` where NAME is the first token of one of the lines as written.
The filter and Caddy then agree on where each directive is, the filter cannot
know every directive name, and a Caddyfile that Caddy refuses publishes nothing.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.secure_kubo.rpc.plugins.filter.caddyfile import render_caddyfile
from ansible_collections.secure_kubo.rpc.tests.unit.plugins.filter.caddy_structure import (
    CADDY_BINARIES, Json, Vary, adapt, skeleton, version_of,
)

HASH = "$2a$14$QAULm/b88x1/JSp4aGXTi.pm.xCLFptT5Jffqu42Na3.QnnCkTMLy"
BINARIES = sorted(CADDY_BINARIES)

BASE: Json = {
    "domains": ["kubo.example.com"],
    "upstream": "127.0.0.1:5001",
    "mode": "acme",
    "email": "admin@example.com",
    "acme_ca": "https://127.0.0.1:14000/dir",
    "acme_ca_root": "/etc/pebble/root.pem",
    "hsts": "max-age=31536000",
    "cors_origins": ["https://app.example.com"],
    "cors_allow_headers": ["Authorization", "Content-Type", "Accept", "X-Requested-With"],
    "basic_auth_users": [{"username": "alice", "password_hash": HASH}],
    "extra_directives": ["header X-Extra ok"],
    "log_output": "file",
    "log_file": "/var/log/caddy/a.log",
    "log_roll_size": "100MiB",
    "log_level": "INFO",
}

# setting -> (path to it in the settings, harmless value; None: the one in BASE)
TARGETS: dict[str, tuple[tuple[str | int, ...], str | None]] = {
    "domains[0]": (("domains", 0), None),
    "upstream": (("upstream",), None),
    "upstream (socket)": (("upstream",), "unix//run/ipfs/api.sock"),
    "email": (("email",), None),
    "acme_ca": (("acme_ca",), None),
    "acme_ca_root": (("acme_ca_root",), None),
    "mode": (("mode",), None),
    "mode (internal)": (("mode",), "internal"),
    "hsts": (("hsts",), None),
    "log_output": (("log_output",), None),
    "log_file": (("log_file",), None),
    "log_roll_size": (("log_roll_size",), None),
    "log_level": (("log_level",), None),
    "cors_origins[0]": (("cors_origins", 0), None),
    "cors_allow_headers[0]": (("cors_allow_headers", 0), None),
    "basic_auth_users[0].username": (("basic_auth_users", 0, "username"), None),
    "basic_auth_users[0].password_hash": (("basic_auth_users", 0, "password_hash"), None),
    "caddy_version": (("caddy_version",), None),
}

FRAGMENTS: dict[str, list[str]] = {
    "Zs": ["\u00a0", "\u1680", *map(chr, range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000"],
    "Zl": ["\u2028"],
    "Zp": ["\u2029"],
    "Cc": ["\n", "\r", "\t", "\v", "\f", "\x00", "\x1c", "\x1d", "\x1e", "\x1f", "\x85"],
    "Cf": ["\u200b", "\u200e", "\u202e", "\ufeff", "\u2060"],
    "braces": ["{", "}", "{}"],
    "quotes": ['"', "`"],
    "backslash": ["\\", "\\ "],
    "placeholders": ["{env.X}", "{$X}", "{$X:default}", "{$HOME", "{http.request.host}"],
    "import": ["import", "import ", "\nimport x"],
    "heredoc": ["<<EOF", "<<"],
    "comment": ["#", " #", "# x"],
}
PLACEMENTS = ("prefix", "suffix", "middle", "replace")


def place(valid: str, fragment: str, placement: str) -> str:
    middle = len(valid) // 2
    return {
        "prefix": fragment + valid,
        "suffix": valid + fragment,
        "middle": valid[:middle] + fragment + valid[middle:],
        "replace": fragment,
    }[placement]


# extra_directives: lines built around a fragment f (at placement p where it fits)
PROXY_SITE = [":8080 {", "reverse_proxy 127.0.0.1:5001", "}"]
EXTRA_TEMPLATES: dict[str, Callable[[str, str], list[str]]] = {
    "extra_directives: header value": lambda f, p: ["header X-Extra " + place("ok", f, p)],
    "extra_directives: quoted value": lambda f, p: ['header X-Extra "' + place("ok", f, p) + '"'],
    "extra_directives: whole line": lambda f, p: [place("header X-Extra ok", f, p)],
    "extra_directives: comment": lambda f, p: ["# " + place("note", f, p)],
    "extra_directives: block": lambda f, p: ["request_body" + f + "{", "}"],
    # A space that Caddy sees and the filter does not makes `a<f>{` a block opener ...
    "extra_directives: open early": lambda f, p: ["header X-A a" + f + "{", "}", "}", *PROXY_SITE, "x {"],
    # ... or `<f>}` a lone `}` that closes the site block early.
    "extra_directives: close early": lambda f, p: [f + "}", *PROXY_SITE, "x " + f + "{"],
}


# ------------------------------------------------------------ settings


def base_settings(name: str) -> Json:
    return {**copy.deepcopy(BASE), "caddy_version": version_of(name)}


def with_value(name: str, setting: str, value: Any) -> Json:
    """The BASE settings for this binary with one setting replaced by value."""
    result = base_settings(name)
    if setting == "extra_directives":
        result[setting] = value
        return result
    *parents, last = TARGETS[setting][0]
    container: Any = result
    for step in parents:
        container = container[step]
    container[last] = value
    return result


def harmless_value(name: str, setting: str) -> str:
    path, harmless = TARGETS[setting]
    if harmless is not None:
        return harmless
    value: Any = base_settings(name)
    for step in path:
        value = value[step]
    return value


def candidate(name: str, where: str, fragment: str, placement: str) -> tuple[str, Any]:
    """(setting, value) with the fragment put into a harmless value."""
    if where in EXTRA_TEMPLATES:
        return "extra_directives", EXTRA_TEMPLATES[where](fragment, placement)
    return where, place(harmless_value(name, where), fragment, placement)


def vary_for(setting: str) -> Vary:
    return Vary(
        hosts=setting.startswith("domains"),
        dials=setting.startswith("upstream"),
        site_leaves=setting == "extra_directives",
    )


# ------------------------------------------------------------- property


def first_token(line: str) -> str:
    """The directive name as the filter sees it (it splits on spaces and tabs only)."""
    return re.split(r"[ \t]+", line.strip(" \t"))[0]


def unknown_directive_as_written(setting: str, value: Any, error: str) -> bool:
    """Caddy refused a directive name that is the first token of a line as written."""
    match = re.search(r"unrecognized directive: (.*)$", error)
    return (
        setting == "extra_directives" and match is not None
        and match.group(1) in {first_token(line) for line in value}
    )


@functools.cache
def baseline(name: str, vary: Vary) -> Json:
    config, error = adapt(name, render_caddyfile(base_settings(name)))
    assert config is not None, f"{name} refuses the baseline: {error}"
    return skeleton(config, vary)


def assert_refused_or_same_structure(name: str, setting: str, value: Any) -> None:
    try:
        text = render_caddyfile(with_value(name, setting, value))
    except AnsibleFilterError:
        return
    config, error = adapt(name, text)
    if config is None:
        assert unknown_directive_as_written(setting, value, error), (
            f"{setting}={value!r}: the filter accepted it but {name} caddy adapt failed: {error}\n{text}"
        )
        return
    vary = vary_for(setting)
    assert skeleton(config, vary) == baseline(name, vary), (
        f"{setting}={value!r} changes the structure on {name}:\n{text}"
    )


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("name", BINARIES)
def test_harmless_values_are_accepted_and_keep_the_structure(name):
    for setting in TARGETS:
        render_caddyfile(with_value(name, setting, harmless_value(name, setting)))
        assert_refused_or_same_structure(name, setting, harmless_value(name, setting))
    for lines in (["header X-Other 'ok'", "encode gzip"], ["# no header"], ["request_body {", "max_size 1MB", "}"]):
        render_caddyfile(with_value(name, "extra_directives", lines))
        assert_refused_or_same_structure(name, "extra_directives", lines)


def _site(config: Json) -> list[Json]:
    """The routes of the site block (one host route in server srv0)."""
    return config["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["routes"]


def _route_block(config: Json) -> list[Json]:
    return _site(config)[0]["handle"][-1]["routes"]


def _proxy(routes: list[Json]) -> Json:
    """The first reverse_proxy handler in these routes, depth first."""
    for route in routes:
        for handler in route.get("handle", []):
            if handler["handler"] == "reverse_proxy":
                return handler
            if handler.get("routes") and (found := _proxy(handler["routes"])):
                return found
    return {}


# What the escape hatch could do to the adapted config; the skeleton must see each.
STRUCTURAL_CHANGES: dict[str, Callable[[Json], None]] = {
    "new server": lambda c: c["apps"]["http"]["servers"].update(srv9={"listen": [":8080"], "routes": []}),
    "new listener": lambda c: c["apps"]["http"]["servers"]["srv0"]["listen"].append(":80"),
    "new host": lambda c: c["apps"]["http"]["servers"]["srv0"]["routes"][0]["match"][0]["host"].append("x"),
    "route order": lambda c: _route_block(c).reverse(),
    "route dropped": lambda c: _route_block(c).pop(0),
    "proxied path": lambda c: next(
        route for route in _route_block(c) if route.get("match") == [{"path": ["/api/v0/*"]}]
    )["match"][0].update(path=["/*"]),
    "proxy dial": lambda c: _proxy(_site(c)).update(upstreams=[{"dial": "10.0.0.1:5001"}]),
    "proxy in the site": lambda c: _site(c).insert(
        0, {"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:5001"}]}]}),
    "global option": lambda c: c.update(admin={"listen": "0.0.0.0:2019"}),
}


@pytest.mark.parametrize("name", BINARIES)
@pytest.mark.parametrize("change", sorted(STRUCTURAL_CHANGES))
def test_the_skeleton_sees_structural_changes(name, change):
    config, error = adapt(name, render_caddyfile(base_settings(name)))
    assert config is not None, error
    STRUCTURAL_CHANGES[change](config)
    assert skeleton(config, vary_for("extra_directives")) != baseline(name, vary_for("extra_directives"))


@pytest.mark.parametrize("name", BINARIES)
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    where=st.one_of(st.sampled_from(sorted(TARGETS)), st.sampled_from(sorted(EXTRA_TEMPLATES))),
    fragment=st.sampled_from(sorted(FRAGMENTS)).flatmap(lambda kind: st.sampled_from(FRAGMENTS[kind])),
    placement=st.sampled_from(PLACEMENTS),
)
def test_nasty_fragments_are_refused_or_change_nothing(name, where, fragment, placement):
    assert_refused_or_same_structure(name, *candidate(name, where, fragment, placement))


SPACES_CADDY_SEES = ("\u00a0", "\u3000", "\u2028", "\x85")
KNOWN_ATTACKS = [
    # a no-break space before `{`: Caddy opened a block the filter did not see,
    # the site block closed early and Kubo was published on plain-HTTP :8080
    *[("extra_directives", ["header X-A a" + s + "{", "}", "}", *PROXY_SITE, "x {"]) for s in SPACES_CADDY_SEES],
    *[("extra_directives", [s + "}", *PROXY_SITE, "x" + s + "{"]) for s in SPACES_CADDY_SEES],
    ("extra_directives", ["{$X}}", *PROXY_SITE, "x {$X}{"]),  # an unset variable leaves `}` and `{`
    ("extra_directives", ["request_body\u00a0{", "}"]),
    # Python's `$` matches before a trailing newline
    ("domains[0]", "kubo.example.com\n"),
    ("cors_allow_headers[0]", "Authorization\n"),
    ("basic_auth_users[0].password_hash", HASH + "\n"),
    # `{$...}` is replaced before parsing; unterminated, it swallows lines up to the next `}`
    ("extra_directives", ["# {$HOME"]),
    ("extra_directives", ["header X-Extra ok # {$X"]),
    ("extra_directives", ['"}"']),  # Caddy 2.6 takes a quoted brace for a brace
    ("extra_directives", ["header X-Extra {}"]),
    ("extra_directives", ["header X-Extra ok\\"]),  # joins the next line
    # `import` pulls in other files, even quoted and inside a block
    ("extra_directives", ["import"]),
    ("extra_directives", ["import snippet"]),
    ("domains[0]", "import"),
    ("basic_auth_users[0].username", "import"),
]


@pytest.mark.parametrize("name", BINARIES)
@pytest.mark.parametrize(("setting", "value"), KNOWN_ATTACKS, ids=lambda v: ascii(v)[:60])
def test_known_attacks_are_refused_or_change_nothing(name, setting, value):
    assert_refused_or_same_structure(name, setting, value)
