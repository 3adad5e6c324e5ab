# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: caddyfile
short_description: Render a Caddyfile that puts automatic TLS in front of Kubo's RPC API
author: secure_kubo.rpc maintainers
version_added: 1.0.0
description:
  - Takes one dictionary of settings and returns the text of a Caddyfile in
    Caddy's canonical format (C(caddy fmt) leaves it unchanged).
  - The keys are named like the variables of the P(secure_kubo.rpc.caddy_tls#role)
    role without the C(caddy_tls_) prefix. Error messages name the role variable.
  - Only C(/api/v0/*) is proxied to Kubo. Every other path (C(/webui), C(/logs),
    C(/debug/...)) is answered with 404 by Caddy itself.
  - CORS preflight requests (C(OPTIONS) on C(/api/v0/*) with an allowed C(Origin))
    are answered by Caddy with 204, because Kubo's authorization answers them with 403.
    Every other C(/api/v0/) response to a listed origin gets C(Access-Control-Allow-Origin)
    from Caddy too, so that a page can read Kubo's 403 and 405 answers (Kubo sends no CORS
    headers with them). Origins that are not listed get no CORS header.
  - For Caddy 2.7 and later the global option C(servers { enable_full_duplex }) is set, because
    Kubo writes the progress of C(add?progress=true) while it still reads the upload, which
    Caddy's HTTP/1.1 server otherwise cuts off.
  - Every value that comes from a setting is quoted. Values that could inject
    Caddyfile syntax (line breaks, control and invisible characters, blanks other than
    ASCII space, braces, backslashes) are refused; the checks and the canonical forms
    (host names, origins, ports) are those of the collection's one validation core,
    shared with P(secure_kubo.rpc.kubo_api_merge#filter).
  - O(_input.extra_directives) are read as Caddy's lexer reads them, in Caddy 2.6 and 2.11
    alike, and refused when Caddy would see another block structure than the lines show.
  - The routes are wrapped in a C(route) block so that their order is the written
    one; Caddy's automatic sorting would put C(handle /api/v0/*) before the preflight
    C(handle) with the same path and the preflight would never match.
options:
  _input:
    description: The settings.
    type: dict
    required: true
    suboptions:
      state:
        description:
          - C(present) publishes the RPC API. C(absent) renders a Caddyfile without any site,
            so that Caddy stops publishing it; every other setting is then ignored.
        type: str
        choices: [present, absent]
        default: present
      config_mode:
        description:
          - C(caddyfile) renders a whole Caddyfile - global options (ACME issuer, ports, full
            duplex) and the sites.
          - C(site) renders only the sites, for a file that the operator's main Caddyfile imports;
            the issuer settings go into each site's C(tls) block, and ports and server options stay
            in the main Caddyfile.
        type: str
        choices: [caddyfile, site]
        default: caddyfile
      domains:
        description:
          - Site addresses, one site block each. IDNA names are converted to punycode.
          - A wildcard C(*) is allowed only as the whole leftmost label, and only with
            O(_input.dns_provider) (the ACME DNS-01 challenge; HTTP-01 cannot get a certificate
            for a wildcard name) or O(_input.mode=internal).
          - Required when O(_input.state=present).
        type: list
        elements: str
      upstream:
        description:
          - Kubo's RPC listener as C(host:port) (no scheme), or C(unix//path/to/socket).
          - Must be a loopback address unless O(_input.upstream_allow_remote=true).
        type: str
        default: 127.0.0.1:5001
      upstream_allow_remote:
        description: Allow a non-loopback O(_input.upstream).
        type: bool
        default: false
      email:
        description: ACME account e-mail (global C(email) option). Empty leaves it out.
        type: str
        default: ""
      acme_ca:
        description: ACME directory URL (https), global C(acme_ca). Empty means Caddy's default CAs.
        type: str
        default: ""
      acme_ca_root:
        description: Absolute path to a PEM file with the root certificate of O(_input.acme_ca).
        type: str
        default: ""
      mode:
        description: C(acme) for certificates from an ACME CA, C(internal) for C(tls internal).
        type: str
        choices: [acme, internal]
        default: acme
      dns_provider:
        description:
          - The DNS provider for the ACME DNS-01 challenge, the C(<name>) of its Caddy module
            C(dns.providers.<name>) (C(rfc2136), C(cloudflare), C(route53) ...). Caddy must be built
            with that module. Empty uses Caddy's default challenges (HTTP-01, TLS-ALPN-01).
          - Written into each site's C(tls { dns <name> { ... } }) block; only with O(_input.mode=acme).
        type: str
        default: ""
      dns_options:
        description:
          - Settings of the provider that are not secret (C(server), C(key_name), C(key_alg) for
            rfc2136), written into the C(dns) block as C(key "value").
          - A key that names a secret (C(key), C(api_token), C(secret_access_key), C(password) ...)
            is refused here; it belongs in O(_input.dns_credentials).
        type: dict
        default: {}
      dns_credentials:
        description:
          - The provider's secret settings. Required with O(_input.dns_provider).
          - Only their names reach the Caddyfile, each as the placeholder C({env.CADDY_TLS_DNS_<KEY>}),
            which Caddy replaces from its environment when it sets up the provider; the values go
            into an environment file (P(secure_kubo.rpc.caddy_dns_env#filter)). They are never shown
            in an error.
        type: dict
        default: {}
      dns_resolvers:
        description: >-
          DNS servers (C(host) or C(host:port)) that Caddy asks for the zone of a name and to see that the
          challenge record has propagated (the C(tls) subdirective C(resolvers)). Empty uses the system's.
        type: list
        elements: str
        default: []
      dns_propagation_timeout:
        description: >-
          How long Caddy waits for the challenge record to propagate (C(2m), C(90s)); C(-1) skips the
          check. Empty is Caddy's default (2 minutes). Caddy 2.7 and later.
        type: str
        default: ""
      http_port:
        description: Caddy's HTTP port (global option rendered only when not 80).
        type: int
        default: 80
      https_port:
        description: Caddy's HTTPS port (global option rendered only when not 443).
        type: int
        default: 443
      cors_origins:
        description:
          - Origins (C(https://app.example.com)) whose CORS preflight requests Caddy answers and
            whose other C(/api/v0/) responses get CORS headers.
          - Written in the form browsers send (lower case, punycode, no default port, no trailing
            slash); two spellings of one origin are refused.
        type: list
        elements: str
        default: []
      cors_allow_headers:
        description: Request headers allowed in the preflight answer.
        type: list
        elements: str
        default: [Authorization, Content-Type, Accept, X-Requested-With]
      cors_allow_credentials:
        description: Send C(Access-Control-Allow-Credentials true) in the preflight answer.
        type: bool
        default: true
      cors_max_age:
        description: C(Access-Control-Max-Age) of the preflight answer, in seconds.
        type: int
        default: 3600
      hsts:
        description: Value of the C(Strict-Transport-Security) header. Empty string disables it.
        type: str
        default: max-age=31536000
      upstream_wait:
        description:
          - Seconds for which Caddy holds a request while Kubo does not accept connections (a restart)
            and retries it, instead of answering 502 at once. Only requests that never reached Kubo are
            retried. C(0) turns this off.
        type: int
        default: 0
      log_output:
        description: Where the access log goes; C(none) writes no access log.
        type: str
        choices: [stdout, stderr, file, none]
        default: stdout
      log_file:
        description: Absolute path of the access log when O(_input.log_output=file).
        type: str
        default: /var/log/caddy/kubo-rpc-access.log
      log_roll_size:
        description: Size at which the log file is rolled, for example C(100MiB).
        type: str
        default: 100MiB
      log_roll_keep:
        description: How many rolled log files to keep.
        type: int
        default: 10
      log_level:
        description: Minimum level of the access log.
        type: str
        choices: [DEBUG, INFO, WARN, ERROR]
        default: INFO
      log_calls:
        description:
          - Which calls the access log records. C(failed) - every answer that is not 2xx (refused
            403, 404, 5xx, calls Kubo never answered), skipping Kubo's 2xx answers; C(all) - every call.
          - Logging every call costs Caddy about a quarter more CPU per small call (docs/benchmarks.md).
        type: str
        choices: [failed, all]
        default: failed
      extra_directives:
        description:
          - Lines added to every site block. A line may open a block with a final C({)
            and a later line may close it with a lone C(}); braces must balance.
          - Refused, because Caddy would read them differently than they look - blanks other
            than ASCII space and tab, invisible characters, C({$NAME}) (use C({env.NAME})),
            quoted C("{"), C("}") or C("import"), C(import), heredocs, and backslashes at the
            end of a token or in a comment.
        type: list
        elements: str
        default: []
      basic_auth_users:
        description: Caddy basic authentication in front of C(/api/v0/*).
        type: list
        elements: dict
        default: []
        suboptions:
          username:
            description: User name.
            type: str
            required: true
          password_hash:
            description: Bcrypt hash as printed by C(caddy hash-password).
            type: str
            required: true
      caddy_version:
        description:
          - Version of the Caddy that will run the file (C(2.6.2), C(v2.11.7 h1:...)).
          - Chooses C(basicauth) (before 2.8) or C(basic_auth) (2.8 and later), and
            C(enable_full_duplex) (2.7 and later). Empty means a current Caddy.
        type: str
        default: ""
seealso:
  - plugin: secure_kubo.rpc.caddy_tls
    plugin_type: role
"""

EXAMPLES = r"""
---
- name: Render the Caddyfile
  ansible.builtin.set_fact:
    caddyfile_text: >-
      {{ {'domains': ['kubo.example.com'],
          'email': 'admin@example.com',
          'cors_origins': ['https://app.example.com']}
         | secure_kubo.rpc.caddyfile }}
"""

RETURN = r"""
_value:
  description:
    - The Caddyfile text, tab-indented, ending with a newline. Its first line is the comment
      C(# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten.)
  type: string
"""

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.secure_kubo.rpc.plugins.module_utils import _caddy_dns as dns
from ansible_collections.secure_kubo.rpc.plugins.module_utils import _validate as v
from ansible_collections.secure_kubo.rpc.plugins.module_utils._caddy_settings import (
    DEFAULTS,
    VAR_PREFIX,
    Dns,
    Site,
    basic_auth_directive,
    site as checked_site,
    state as checked_state,
)
from ansible_collections.secure_kubo.rpc.plugins.plugin_utils._filter import filter_error

# basic_auth_directive stays importable from here, as before the checks moved.
__all__ = ["FilterModule", "MARKER", "WITHDRAWN", "basic_auth_directive", "quote", "render_caddyfile"]

FILTER = "caddyfile"
API_PATH = "/api/v0/*"

# The first line of every file the filter writes: the caddy_tls role knows
# its own file by it, and refuses to replace a Caddyfile that is not its own.
MARKER = "# Managed by secure_kubo.rpc.caddy_tls; changes here are overwritten."
# What the filter writes when the site is withdrawn (state: absent).
WITHDRAWN = MARKER + "\n# The Kubo RPC API is not published here (caddy_tls_state: absent).\n"


def quote(value: str) -> str:
    """Quote one token for a Caddyfile (the value must have passed _validate.text)."""
    return '"' + value.replace('"', '\\"') + '"'


# ------------------------------------------------------- settings -> lines


def _global_options(site: Site) -> list[str]:
    """The global options block, for a Caddyfile the role owns as a whole."""
    options = []
    if site.email:
        options.append(f"email {quote(site.email)}")
    if site.acme_ca:
        options.append(f"acme_ca {quote(site.acme_ca)}")
    if site.acme_ca_root:
        options.append(f"acme_ca_root {quote(site.acme_ca_root)}")
    if site.http_port != 80:
        options.append(f"http_port {site.http_port}")
    if site.https_port != 443:
        options.append(f"https_port {site.https_port}")
    if site.version is None or site.version >= (2, 7):
        # Kubo streams add?progress=true while it still reads the upload;
        # Caddy's HTTP/1.1 server cuts that off unless full duplex is on.
        options += ["servers {", "\tenable_full_duplex", "}"]
    return options


def _dns_lines(settings: Dns) -> list[str]:
    """The DNS-01 settings inside a site's tls block; credentials only as {env.*} placeholders."""
    pairs = [(key, quote(value)) for key, value in settings.options]
    pairs += [(key, dns.placeholder(key)) for key in settings.secret_keys]
    lines = [f"dns {settings.provider} {{"] + [f"\t{key} {value}" for key, value in sorted(pairs)] + ["}"]
    if settings.resolvers:
        lines.append("resolvers " + " ".join(quote(resolver) for resolver in settings.resolvers))
    if settings.propagation_timeout:
        lines.append(f"propagation_timeout {quote(settings.propagation_timeout)}")
    return lines


def _tls(site: Site) -> list[str]:
    """The site's `tls` directive, one line per entry."""
    dns_lines = _dns_lines(site.dns) if site.dns else []
    tls = ["tls internal"] if site.mode == "internal" else []
    if site.site_only:
        # The main Caddyfile and its global options are the operator's: the
        # issuer settings go into the site's own tls block.
        if site.mode == "acme" and (site.email or site.acme_ca or site.acme_ca_root or dns_lines):
            tls = [f"tls {quote(site.email)} {{" if site.email else "tls {"]
            tls += [f"\tca {quote(site.acme_ca)}"] if site.acme_ca else []
            tls += [f"\tca_root {quote(site.acme_ca_root)}"] if site.acme_ca_root else []
            tls += [f"\t{line}" for line in dns_lines]
            tls += ["}"]
    elif dns_lines:
        # Caddy fills in the global issuer options (email, acme_ca,
        # acme_ca_root) for a site whose tls block sets the challenge.
        tls = ["tls {"] + [f"\t{line}" for line in dns_lines] + ["}"]
    return tls


# ---------------------------------------------------------------- render


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, depth: int, text: str) -> None:
        self.lines.append("\t" * depth + text if text else "")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _settings(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise AnsibleFilterError(
            f"caddyfile: the input must be a dictionary of settings, got {type(raw).__name__}"
        )
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise AnsibleFilterError(
            "caddyfile: unknown settings "
            + ", ".join(f"{key!r} ({VAR_PREFIX}{key})" for key in unknown)
        )
    settings = dict(DEFAULTS)
    settings.update(raw)
    return settings


def render_caddyfile(raw: Any) -> str:
    """Render the Caddyfile text from a dictionary of settings."""
    settings = _settings(raw)
    try:
        if checked_state(settings) == "absent":
            return WITHDRAWN
        return _render(checked_site(settings))
    except v.InvalidSetting as error:
        raise filter_error(FILTER, VAR_PREFIX, error) from None


def _log(out: _Writer, site: Site) -> None:
    out.add(1, "log {")
    if site.log_output == "file":
        out.add(2, f"output file {quote(site.log_file)} {{")
        out.add(3, f"roll_size {quote(site.roll_size)}")
        out.add(3, f"roll_keep {site.roll_keep}")
        out.add(2, "}")
    else:
        out.add(2, f"output {quote(site.log_output)}")
    # Kubo's client also sends --api-auth as an `api-auth` query parameter;
    # Caddy redacts the Authorization header but would log the URI with the
    # secret in it.
    out.add(2, "format filter {")
    out.add(3, "wrap json")
    out.add(3, "fields {")
    out.add(4, "request>uri query {")
    out.add(5, "delete api-auth")
    out.add(4, "}")
    out.add(3, "}")
    out.add(2, "}")
    out.add(2, f"level {quote(site.log_level)}")
    out.add(1, "}")


def _cors(out: _Writer, site: Site) -> None:
    """Matchers and the preflight answer; Kubo's authorization refuses preflights."""
    out.add(2, "@cors_preflight {")
    out.add(3, "method OPTIONS")
    out.add(3, f"path {API_PATH}")
    for origin in site.origins:
        out.add(3, f"header Origin {quote(origin)}")
    out.add(2, "}")
    out.add(2, "@cors_origin {")
    for origin in site.origins:
        out.add(3, f"header Origin {quote(origin)}")
    out.add(2, "}")
    out.add(2, "handle @cors_preflight {")
    out.add(3, "header {")
    out.add(4, 'Access-Control-Allow-Origin "{http.request.header.Origin}"')
    out.add(4, 'Access-Control-Allow-Methods "POST, OPTIONS"')
    if site.allow_headers:
        out.add(4, f"Access-Control-Allow-Headers {quote(', '.join(site.allow_headers))}")
    if site.allow_credentials:
        out.add(4, 'Access-Control-Allow-Credentials "true"')
    out.add(4, f'Access-Control-Max-Age "{site.max_age}"')
    out.add(4, 'Vary "Origin"')
    out.add(3, "}")
    out.add(3, "respond 204")
    out.add(2, "}")


def _reverse_proxy_log_skip(out: _Writer, site: Site) -> None:
    """Inside reverse_proxy: a 2xx answer of Kubo is copied as it is, and left out of the log.

    Anything else - Kubo's 403 and 405, the site's 404, a 502 when Kubo is down - is logged.
    copy_response streams the answer, headers and trailers as reverse_proxy itself would.
    """
    out.add(4, "@success status 2xx")
    out.add(4, "handle_response @success {")
    out.add(5, site.log_skip)
    out.add(5, "copy_response")
    out.add(4, "}")


def _api(out: _Writer, site: Site) -> None:
    out.add(2, f"handle {API_PATH} {{")
    if site.origins:
        # Kubo's own 403 and 405 carry no CORS headers, so a page would see
        # only a network error; deferred, these replace Kubo's where it sends them.
        out.add(3, "header @cors_origin {")
        out.add(4, 'Access-Control-Allow-Origin "{http.request.header.Origin}"')
        if site.allow_credentials:
            out.add(4, 'Access-Control-Allow-Credentials "true"')
        out.add(4, 'Vary "Origin"')
        out.add(4, "defer")
        out.add(3, "}")
    if site.users:
        out.add(3, f"{site.auth_directive} {{")
        for username, password_hash in site.users:
            out.add(4, f"{quote(username)} {quote(password_hash)}")
        out.add(3, "}")
    if site.upstream_wait or site.log_skip:
        out.add(3, f"reverse_proxy {quote(site.upstream)} {{")
        if site.upstream_wait:
            # Holds requests across a Kubo restart; Caddy retries only failed dials.
            out.add(4, f"lb_try_duration {site.upstream_wait}s")
            out.add(4, "lb_try_interval 250ms")
        if site.log_skip:
            _reverse_proxy_log_skip(out, site)
        out.add(3, "}")
    else:
        out.add(3, f"reverse_proxy {quote(site.upstream)}")
    out.add(2, "}")


def _render(site: Site) -> str:
    out = _Writer()
    out.add(0, MARKER)
    global_options = [] if site.site_only else _global_options(site)
    if global_options:
        out.add(0, "{")
        for option in global_options:
            out.add(1, option)
        out.add(0, "}")
    tls = _tls(site)
    for domain in site.domains:
        out.add(0, "")
        out.add(0, f"{quote(domain)} {{")
        for line in tls:
            out.add(1, line)
        if site.log_output != "none":  # no access log: the cheapest (see docs/benchmarks.md)
            _log(out, site)
        if site.hsts:
            out.add(1, f"header Strict-Transport-Security {quote(site.hsts)}")
        for depth, line in site.extra:
            out.add(1 + depth, line)
        # `route` keeps the written order: preflight, then the API, then 404.
        out.add(1, "route {")
        if site.origins:
            _cors(out, site)
        _api(out, site)
        out.add(2, "handle {")
        out.add(3, "respond 404")
        out.add(2, "}")
        out.add(1, "}")
        out.add(0, "}")
    return out.text()


class FilterModule:
    """Ansible jinja2 filters"""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "caddyfile": render_caddyfile,
        }
