"""Who gets what through the proxy: Kubo's own authorization behind Caddy.

Kubo denies with 403 (never 401) and answers non-POST RPC calls with 405,
so every RPC call here is a POST.
"""

from __future__ import annotations

import pytest
from conftest import SITE, auth_header, client, curl, journal, rpc

UNAUTHENTICATED_SURFACES = ["/webui/", "/debug/pprof/", "/debug/vars", "/logs", "/debug/metrics/prometheus", "/version"]


def test_the_admin_client_with_basic_auth_gets_200(host):
    r = rpc(host, "/api/v0/id", client("admin"))
    assert r.status == 200, str(r) + journal(host, "caddy") + journal(host, "ipfs")


def test_the_bearer_token_client_gets_200(host):
    r = rpc(host, "/api/v0/id", client("ci-bot"))
    assert r.status == 200, r


def test_a_request_without_credentials_gets_403(host):
    r = rpc(host, "/api/v0/id")
    assert r.status == 403, r


def test_a_wrong_password_gets_403(host):
    wrong = dict(client("admin"), password="not-the-admin-password")
    r = rpc(host, "/api/v0/id", wrong)
    assert r.status == 403, r


def test_a_wrong_bearer_token_gets_403(host):
    r = rpc(host, "/api/v0/id", {"token": "not-the-ci-bot-token-000"})
    assert r.status == 403, r


def test_the_restricted_client_may_list_pins(host):
    r = rpc(host, "/api/v0/pin/ls", client("pinner"))
    assert r.status == 200, r


def test_the_restricted_client_gets_403_on_config(host):
    r = rpc(host, "/api/v0/config?arg=Identity.PeerID", client("pinner"))
    assert r.status == 403, r


def test_a_get_rpc_call_gets_405(host):
    r = rpc(host, "/api/v0/id", client("admin"), method="GET")
    assert r.status == 405, r


@pytest.mark.parametrize("path", ["/", *UNAUTHENTICATED_SURFACES])
def test_kubos_unauthenticated_endpoints_are_404_through_the_proxy(host, path):
    r = curl(host, SITE + path, method="GET")
    assert r.status == 404, r


@pytest.mark.parametrize("path", UNAUTHENTICATED_SURFACES)
def test_those_endpoints_do_exist_on_127_0_0_1_5001(host, path):
    # Proves that the 404 above is the proxy's doing. Kubo answers an
    # unknown path with 404 at once; /logs sends nothing, not even its
    # status line, until a log line comes, so a timeout means it exists.
    r = curl(host, "http://127.0.0.1:5001" + path, method="GET", timeout=3)
    assert r.status != 404, r
    assert r.status != 0 or (path == "/logs" and r.curl_rc == 28), r


@pytest.mark.parametrize(
    "path",
    [
        "/api/v0/../../webui/",
        "/api/v0/%2e%2e/%2e%2e/webui/",
        "/api/v0/..%2f..%2fwebui/",
        "/api/v0/../../debug/vars",
    ],
)
def test_a_path_traversal_does_not_reach_the_webui_or_debug_endpoints(host, path):
    admin = f"Authorization: {auth_header(client('admin'))}"
    r = curl(host, SITE + path, "--path-as-is", "-H", admin, method="GET")
    assert r.status in (400, 403, 404, 405), r
    location = r.headers.get("location", "")
    assert "webui" not in location and "/ipfs/" not in location, r
    assert "memstats" not in r.body and "<html" not in r.body.lower(), r


def test_a_cors_preflight_from_the_allowed_origin_gets_204_with_the_right_headers(host):
    r = curl(
        host, SITE + "/api/v0/id",
        "-H", "Origin: https://kubo.test",
        "-H", "Access-Control-Request-Method: POST",
        "-H", "Access-Control-Request-Headers: authorization, content-type",
        method="OPTIONS",
    )
    assert r.status == 204, r
    assert r.headers.get("access-control-allow-origin") == "https://kubo.test", r
    assert "POST" in r.headers.get("access-control-allow-methods", "").upper(), r
    assert "authorization" in r.headers.get("access-control-allow-headers", "").lower(), r


def test_a_cors_preflight_from_another_origin_is_not_allowed(host):
    r = curl(
        host, SITE + "/api/v0/id",
        "-H", "Origin: https://evil.example",
        "-H", "Access-Control-Request-Method: POST",
        method="OPTIONS",
    )
    assert r.headers.get("access-control-allow-origin") not in ("https://evil.example", "*"), r


def test_a_cross_origin_post_from_the_allowed_origin_works_with_credentials(host):
    r = rpc(host, "/api/v0/id", client("admin"), "-H", "Origin: https://kubo.test")
    assert r.status == 200, r
    assert r.headers.get("access-control-allow-origin") == "https://kubo.test", r


def test_a_cross_origin_post_from_another_origin_gets_403(host):
    r = rpc(host, "/api/v0/id", client("admin"), "-H", "Origin: https://evil.example")
    assert r.status == 403, r
