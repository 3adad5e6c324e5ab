# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: caddyfile
short_description: Render a Caddyfile that puts automatic TLS in front of Kubo's RPC API
author: secure_kubo.rpc maintainers
version_added: 0.1.0
description:
  - Takes one dictionary of settings and returns the text of a Caddyfile in
    Caddy's canonical format (C(caddy fmt) leaves it unchanged).
  - The keys are named like the variables of the P(secure_kubo.rpc.caddy_tls#role)
    role without the C(caddy_tls_) prefix. Error messages name the role variable.
  - Only C(/api/v0/*) is proxied to Kubo. Every other path (C(/webui), C(/logs),
    C(/debug/...)) is answered with 404 by Caddy itself.
  - CORS preflight requests (C(OPTIONS) on C(/api/v0/*) with an allowed C(Origin))
    are answered by Caddy with 204, because Kubo's authorization answers them with 403.
  - Every value that comes from a setting is quoted. Values that could inject
    Caddyfile syntax (newlines, control characters, braces, backslashes) are refused.
  - The routes are wrapped in a C(route) block so that their order is the written
    one; Caddy's automatic sorting would put C(handle /api/v0/*) before the preflight
    C(handle) with the same path and the preflight would never match.
options:
  _input:
    description: The settings.
    type: dict
    required: true
    suboptions:
      domains:
        description:
          - Site addresses, one site block each. IDNA names are converted to punycode.
          - A wildcard C(*) is allowed only as the whole leftmost label.
        type: list
        elements: str
        required: true
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
      http_port:
        description: Caddy's HTTP port (global option rendered only when not 80).
        type: int
        default: 80
      https_port:
        description: Caddy's HTTPS port (global option rendered only when not 443).
        type: int
        default: 443
      cors_origins:
        description: Origins (C(https://app.example.com)) whose CORS preflight requests Caddy answers.
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
      extra_directives:
        description:
          - Lines added to every site block. A line may open a block with a final C({)
            and a later line may close it with a lone C(}); braces must balance.
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
          - Chooses C(basicauth) (before 2.8) or C(basic_auth) (2.8 and later).
            Empty means a current Caddy.
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
  description: The Caddyfile text, tab-indented, ending with a newline.
  type: string
"""

import ipaddress
import posixpath
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ansible.errors import AnsibleFilterError

VAR_PREFIX = "caddy_tls_"
API_PATH = "/api/v0/*"

DEFAULTS: dict[str, Any] = {
    "domains": None,
    "upstream": "127.0.0.1:5001",
    "upstream_allow_remote": False,
    "email": "",
    "acme_ca": "",
    "acme_ca_root": "",
    "mode": "acme",
    "http_port": 80,
    "https_port": 443,
    "cors_origins": [],
    "cors_allow_headers": ["Authorization", "Content-Type", "Accept", "X-Requested-With"],
    "cors_allow_credentials": True,
    "cors_max_age": 3600,
    "hsts": "max-age=31536000",
    "upstream_wait": 0,
    "log_output": "stdout",
    "log_file": "/var/log/caddy/kubo-rpc-access.log",
    "log_roll_size": "100MiB",
    "log_roll_keep": 10,
    "log_level": "INFO",
    "extra_directives": [],
    "basic_auth_users": [],
    "caddy_version": "",
}

MODES = ("acme", "internal")
LOG_OUTPUTS = ("stdout", "stderr", "file", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")

_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Characters whose IDNA 2003 (Python's codec) and IDNA 2008 mappings differ.
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
_EMAIL_LOCAL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`|~-]+$")
_HTTP_TOKEN_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_HSTS_RE = re.compile(
    r"^max-age=[0-9]+(?:[ ]*;[ ]*(?:includeSubDomains|preload))*$", re.IGNORECASE
)
_ROLL_SIZE_RE = re.compile(r"^[1-9][0-9]*(?:[KMGT]i?B)?$")
_VERSION_RE = re.compile(r"^v?([0-9]+)\.([0-9]+)")
_BCRYPT_RE = re.compile(r"^\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}$")


class _Invalid(Exception):
    """A setting is invalid; args are (setting path, message)."""


def _fail(where: str, message: str) -> NoReturn:
    raise _Invalid(where, message)


def _var(where: str) -> str:
    return VAR_PREFIX + where


# ---------------------------------------------------------------- tokens


def _check_text(where: str, value: Any, allow_empty: bool = False) -> str:
    """Refuse anything that could change the structure of the Caddyfile."""
    if not isinstance(value, str):
        _fail(where, f"must be a string, got {type(value).__name__}")
    if not value and not allow_empty:
        _fail(where, "must not be empty")
    for char in value:
        if char in "\r\n" or char in "\u2028\u2029":
            _fail(where, f"{value!r} contains a line break, which would start a new directive")
        if unicodedata.category(char) == "Cc":
            _fail(where, f"{value!r} contains the control character {char!r}")
        if char in "{}":
            _fail(
                where,
                f"{value!r} contains {char!r}; braces open blocks, placeholders and "
                "environment variables in a Caddyfile",
            )
        if char == "\\":
            _fail(where, f"{value!r} contains a backslash, which a Caddyfile cannot quote safely")
    return value


def quote(value: str) -> str:
    """Quote one token for a Caddyfile (the value must have passed _check_text)."""
    return '"' + value.replace('"', '\\"') + '"'


def _text(where: str, value: Any) -> str:
    return quote(_check_text(where, value))


# ----------------------------------------------------------- validators


def _as_int(where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        _fail(where, f"must be an integer, got {value!r}")
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        _fail(where, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        _fail(where, f"{value} is out of range ({low}-{high})")
    return value


def _as_bool(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "yes", "1")
    _fail(where, f"must be a boolean, got {value!r}")


def _as_list(where: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        _fail(where, f"must be a list, got {type(value).__name__}")
    return list(value)


def _choice(where: str, value: Any, choices: tuple[str, ...], upper: bool = False) -> str:
    text = value.upper() if upper and isinstance(value, str) else value
    if text not in choices:
        _fail(where, f"{value!r} is not one of {', '.join(choices)}")
    return text


def _hostname(where: str, value: str, wildcard: bool = False, what: str = "domain name") -> str:
    """Validate a DNS name and return its ASCII (punycode) form, lower case."""
    if not isinstance(value, str) or not value:
        _fail(where, f"{value!r} is not a valid {what}: it is empty or not a string")
    if "://" in value:
        _fail(where, f"{value!r} is not a valid {what}: give the bare name without a scheme")
    if "/" in value:
        _fail(where, f"{value!r} is not a valid {what}: give the bare name without a path")
    if ":" in value:
        _fail(where, f"{value!r} is not a valid {what}: give the bare name without a port")
    if value.endswith("."):
        _fail(where, f"{value!r} is not a valid {what}: remove the trailing dot")
    deviations = _IDNA_DEVIATIONS.intersection(value)
    if deviations:
        _fail(
            where,
            f"{value!r} is not a valid {what}: {''.join(sorted(deviations))!r} maps differently "
            "in IDNA 2003 and IDNA 2008; give the punycode (xn--) form",
        )
    labels = value.split(".")
    out = []
    for index, label in enumerate(labels):
        if label == "*" and wildcard and index == 0 and len(labels) > 2:
            out.append("*")
            continue
        if "*" in label:
            hint = (
                "a wildcard is allowed only as the whole leftmost label of a name with "
                "at least three labels (*.example.com)"
                if wildcard
                else "wildcards are not allowed here"
            )
            _fail(where, f"{value!r} is not a valid {what}: {hint}")
        try:
            ascii_label = label.encode("idna").decode("ascii").lower()
        except UnicodeError:
            _fail(where, f"{value!r} is not a valid {what}: label {label!r} cannot be IDNA-encoded")
        if not _LABEL_RE.match(ascii_label):
            _fail(
                where,
                f"{value!r} is not a valid {what}: label {label!r} must be 1-63 letters, digits "
                "or hyphens, not starting or ending with a hyphen",
            )
        out.append(ascii_label)
    name = ".".join(out)
    if len(name) > 253:
        _fail(where, f"{value!r} is not a valid {what}: longer than 253 characters")
    return name


def _domains(value: Any) -> list[str]:
    where = "domains"
    items = _as_list(where, value)
    if not items:
        _fail(where, "must list at least one domain name")
    seen: dict[str, int] = {}
    result = []
    for index, item in enumerate(items):
        name = _hostname(f"{where}[{index}]", item, wildcard=True)
        if name in seen:
            _fail(f"{where}[{index}]", f"{item!r} repeats {_var(where)}[{seen[name]}] ({name})")
        seen[name] = index
        result.append(name)
    return result


def _host_port(where: str, value: str, what: str, full: str) -> tuple[str, int | None, bool]:
    """Split host[:port]; return (host for output, port, is_loopback)."""
    try:
        return _split_host_port(where, value, what)
    except _Invalid as exc:
        message = exc.args[1]
        if message.startswith(repr(value) + " is not a valid " + what):
            message = message[len(repr(value) + " is not a valid " + what) + 2:]
        _fail(where, f"{full!r} is not a valid {what}: {message}")


def _split_host_port(where: str, value: str, what: str) -> tuple[str, int | None, bool]:
    host: str
    port_text: str | None = None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            _fail(where, f"{value!r} is not a valid {what}: unclosed '['")
        host = value[1:end]
        rest = value[end + 1:]
        if rest:
            if not rest.startswith(":"):
                _fail(where, f"{value!r} is not a valid {what}: junk after ']'")
            port_text = rest[1:]
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            _fail(where, f"{value!r} is not a valid {what}: {host!r} is not an IPv6 address")
        host_out = f"[{address.compressed}]"
        loopback = address.is_loopback
    else:
        if value.count(":") > 1:
            _fail(where, f"{value!r} is not a valid {what}: write IPv6 addresses as [addr]:port")
        host, _sep, port_part = value.partition(":")
        if _sep:
            port_text = port_part
        try:
            address4 = ipaddress.IPv4Address(host)
        except ValueError:
            host_out = _hostname(where, host, what="host name")
            loopback = host_out == "localhost"
        else:
            host_out = str(address4)
            loopback = address4.is_loopback
    port = None
    if port_text is not None:
        if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 0 < int(port_text) < 65536:
            _fail(where, f"{value!r} is not a valid {what}: port {port_text!r} is not 1-65535")
        port = int(port_text)
    return host_out, port, loopback


def _upstream(value: Any, allow_remote: bool) -> str:
    where = "upstream"
    _check_text(where, value)
    if value.startswith("unix/"):
        path = value[len("unix/"):]
        if not path.startswith("/"):
            _fail(where, f"{value!r} is not a valid upstream: write a socket as unix//absolute/path")
        if any(char.isspace() or char == '"' for char in path):
            _fail(where, f"{value!r} is not a valid upstream: the socket path contains blanks or quotes")
        return value
    if "://" in value:
        _fail(where, f"{value!r} is not a valid upstream: give host:port without a scheme")
    if "/" in value:
        _fail(where, f"{value!r} is not a valid upstream: give host:port without a path")
    host, port, loopback = _host_port(where, value, "upstream", full=value)
    if port is None:
        _fail(where, f"{value!r} is not a valid upstream: give host:port, the port is missing")
    if not loopback and not allow_remote:
        _fail(
            where,
            f"{value!r} is not a loopback address; Kubo's RPC API must stay on loopback behind "
            "the proxy (set caddy_tls_upstream_allow_remote: true to allow a remote upstream)",
        )
    return f"{host}:{port}"


def _email(value: Any) -> str:
    where = "email"
    _check_text(where, value, allow_empty=True)
    if not value:
        return ""
    local, sep, domain = value.rpartition("@")
    if not sep or not local or not _EMAIL_LOCAL_RE.match(local) or len(value) > 254:
        _fail(where, f"{value!r} is not a valid e-mail address")
    try:
        domain_ascii = _hostname(where, domain, what="e-mail domain")
    except _Invalid:
        _fail(where, f"{value!r} is not a valid e-mail address: bad domain {domain!r}")
    if "." not in domain_ascii:
        _fail(where, f"{value!r} is not a valid e-mail address: the domain has no dot")
    return f"{local}@{domain_ascii}"


def _https_url(where: str, value: Any) -> str:
    _check_text(where, value, allow_empty=True)
    if not value:
        return ""
    match = re.fullmatch(r"https://([^/?#@\s\"]+)(/[^?#\s\"]*)?(\?[^#\s\"]*)?", value)
    if not match:
        _fail(where, f"{value!r} is not a valid ACME directory URL: it must be https://host[:port]/path")
    host, port, _loop = _host_port(where, match.group(1), "ACME directory URL", full=value)
    port_part = f":{port}" if port is not None else ""
    return f"https://{host}{port_part}{match.group(2) or ''}{match.group(3) or ''}"


def _abs_path(where: str, value: Any, allow_empty: bool = True) -> str:
    _check_text(where, value, allow_empty=allow_empty)
    if not value:
        return ""
    if not posixpath.isabs(value):
        _fail(where, f"{value!r} is not an absolute path")
    if ".." in value.split("/"):
        _fail(where, f"{value!r} must not contain '..' components")
    if value.endswith("/"):
        _fail(where, f"{value!r} names a directory, not a file")
    return value


def _origin(where: str, value: Any) -> str:
    _check_text(where, value)
    candidate = value[:-1] if value.endswith("/") and value.count("/") == 3 else value
    match = re.fullmatch(r"(https?)://([^/?#@\s]+)", candidate)
    if not match:
        _fail(
            where,
            f"{value!r} is not a valid origin: write scheme://host[:port] (http or https, "
            "no path, no wildcard)",
        )
    scheme = match.group(1)
    host, port, _loop = _host_port(where, match.group(2), "origin", full=value)
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _hsts(value: Any) -> str:
    where = "hsts"
    _check_text(where, value, allow_empty=True)
    if value and not _HSTS_RE.match(value):
        _fail(
            where,
            f"{value!r} is not a valid Strict-Transport-Security value: write "
            "'max-age=SECONDS' optionally followed by '; includeSubDomains' and '; preload' "
            "(or an empty string to send no header)",
        )
    return value


def caddy_major_minor(version: Any) -> tuple[int, int] | None:
    """Parse 'v2.11.7 h1:...' or '2.6.2' into (2, 11); None when empty."""
    if version is None or version == "":
        return None
    match = _VERSION_RE.match(str(version).strip())
    if not match:
        _fail("caddy_version", f"{version!r} is not a Caddy version like 2.6.2 or v2.11.7")
    return int(match.group(1)), int(match.group(2))


def basic_auth_directive(version: Any) -> str:
    """`basicauth` before Caddy 2.8, `basic_auth` from 2.8 on (and when unknown)."""
    parsed = caddy_major_minor(version)
    if parsed is not None and parsed < (2, 8):
        return "basicauth"
    return "basic_auth"


def _basic_auth_users(value: Any) -> list[tuple[str, str]]:
    where = "basic_auth_users"
    users = []
    seen: set[str] = set()
    for index, item in enumerate(_as_list(where, value)):
        here = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            _fail(here, "must be a dictionary with username and password_hash")
        unknown = sorted(set(item) - {"username", "password_hash"})
        if "password" in unknown:
            _fail(
                here,
                "has a plain 'password'; the filter needs 'password_hash' "
                "(the caddy_tls role computes it with caddy hash-password)",
            )
        if unknown:
            _fail(here, f"unknown keys {', '.join(map(repr, unknown))}")
        username = item.get("username")
        _check_text(f"{here}.username", username)
        if username in seen:
            _fail(f"{here}.username", f"{username!r} is listed twice")
        seen.add(username)
        password_hash = item.get("password_hash")
        if not isinstance(password_hash, str) or not _BCRYPT_RE.match(password_hash):
            # never echo the value: it may be a password put in the wrong key
            _fail(
                f"{here}.password_hash",
                "is not a bcrypt hash as printed by caddy hash-password ($2a$14$...)",
            )
        users.append((username, password_hash))
    return users


# ------------------------------------------------- extra directive lines


def _lex_line(where: str, line: str) -> list[str]:
    """Split one Caddyfile line into raw tokens the way Caddy's lexer does."""
    tokens: list[str] = []
    index = 0
    length = len(line)
    while index < length:
        char = line[index]
        if char in " \t":
            index += 1
            continue
        if char == "#":
            tokens.append(line[index:])
            break
        start = index
        if char == '"':
            index += 1
            while index < length and line[index] != '"':
                index += 2 if line[index] == "\\" else 1
            if index >= length:
                _fail(where, f"{line!r} has an unbalanced double quote")
            index += 1
        elif char == "`":
            end = line.find("`", index + 1)
            if end < 0:
                _fail(where, f"{line!r} has an unbalanced backtick")
            index = end + 1
        else:
            while index < length and line[index] not in " \t":
                if line[index] in "\"`":
                    _fail(where, f"{line!r} has a quote in the middle of a token")
                index += 1
        if index < length and line[index] not in " \t":
            _fail(where, f"{line!r} has text glued to the end of a quoted token")
        tokens.append(line[start:index])
    return tokens


def _extra_directives(value: Any) -> list[tuple[int, str]]:
    """Return (depth, normalised line) pairs; refuse anything that escapes the site block."""
    where = "extra_directives"
    depth = 0
    opened_at = 0
    lines = []
    for index, item in enumerate(_as_list(where, value)):
        here = f"{where}[{index}]"
        if not isinstance(item, str):
            _fail(here, f"must be a string, got {type(item).__name__}")
        for char in item:
            if char in "\r\n\u2028\u2029":
                _fail(here, f"{item!r} contains a line break; give one line per list item")
            if unicodedata.category(char) == "Cc" and char != "\t":
                _fail(here, f"{item!r} contains the control character {char!r}")
        tokens = _lex_line(here, item)
        if not tokens:
            _fail(here, "is empty")
        if tokens[0].startswith("#"):
            lines.append((depth, tokens[0]))
            continue
        for position, token in enumerate(tokens):
            if token.startswith("<<"):
                _fail(here, f"{item!r} starts a heredoc, which needs several lines")
            if token == "{" and position != len(tokens) - 1:
                _fail(here, f"{item!r}: a '{{' must be the last token of its line")
            if token == "}" and len(tokens) != 1:
                _fail(here, f"{item!r}: a '}}' must stand alone on its line")
        if tokens == ["}"]:
            depth -= 1
            if depth < 0:
                _fail(here, f"{item!r} closes a block that it did not open (braces are unbalanced)")
            lines.append((depth, "}"))
            continue
        if tokens[-1] == "{":
            if depth == 0:
                opened_at = index
            lines.append((depth, " ".join(tokens)))
            depth += 1
            continue
        lines.append((depth, " ".join(tokens)))
    if depth:
        _fail(f"{where}[{opened_at}]", "opens a block that is never closed (braces are unbalanced)")
    return lines


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
            + ", ".join(f"{key!r} ({_var(str(key))})" for key in unknown)
        )
    settings = dict(DEFAULTS)
    settings.update(raw)
    return settings


def render_caddyfile(raw: Any) -> str:
    """Render the Caddyfile text from a dictionary of settings."""
    settings = _settings(raw)
    try:
        return _render(settings)
    except _Invalid as exc:
        where, message = exc.args
        raise AnsibleFilterError(f"caddyfile: {_var(where)}: {message}") from None


def _render(s: dict[str, Any]) -> str:
    domains = _domains(s["domains"])
    allow_remote = _as_bool("upstream_allow_remote", s["upstream_allow_remote"])
    upstream = _upstream(s["upstream"], allow_remote)
    email = _email(s["email"])
    acme_ca = _https_url("acme_ca", s["acme_ca"])
    acme_ca_root = _abs_path("acme_ca_root", s["acme_ca_root"])
    if acme_ca_root and not acme_ca:
        _fail("acme_ca_root", "is set but caddy_tls_acme_ca is empty; the root belongs to that CA")
    mode = _choice("mode", s["mode"], MODES)
    http_port = _as_int("http_port", s["http_port"], 1, 65535)
    https_port = _as_int("https_port", s["https_port"], 1, 65535)
    if http_port == https_port:
        _fail("https_port", f"{https_port} is also caddy_tls_http_port")
    origins = []
    for index, origin in enumerate(_as_list("cors_origins", s["cors_origins"])):
        normal = _origin(f"cors_origins[{index}]", origin)
        if normal in origins:
            _fail(f"cors_origins[{index}]", f"{origin!r} is listed twice")
        origins.append(normal)
    allow_headers = []
    for index, header in enumerate(_as_list("cors_allow_headers", s["cors_allow_headers"])):
        if not isinstance(header, str) or not _HTTP_TOKEN_RE.match(header):
            _fail(f"cors_allow_headers[{index}]", f"{header!r} is not a valid HTTP header name")
        allow_headers.append(header)
    allow_credentials = _as_bool("cors_allow_credentials", s["cors_allow_credentials"])
    max_age = _as_int("cors_max_age", s["cors_max_age"], 0, 86400 * 7)
    hsts = _hsts(s["hsts"])
    upstream_wait = _as_int("upstream_wait", s["upstream_wait"], 0, 300)
    log_output = _choice("log_output", s["log_output"], LOG_OUTPUTS)
    log_level = _choice("log_level", s["log_level"], LOG_LEVELS, upper=True)
    log_file = roll_size = ""
    roll_keep = 0
    if log_output == "file":
        log_file = _abs_path("log_file", s["log_file"], allow_empty=False)
        roll_size = _check_text("log_roll_size", s["log_roll_size"])
        if not _ROLL_SIZE_RE.match(roll_size):
            _fail("log_roll_size", f"{roll_size!r} is not a size like 100MiB or 50MB")
        roll_keep = _as_int("log_roll_keep", s["log_roll_keep"], 0, 100000)
    extra = _extra_directives(s["extra_directives"])
    users = _basic_auth_users(s["basic_auth_users"])
    auth_directive = basic_auth_directive(s["caddy_version"])

    out = _Writer()
    global_options = []
    if email:
        global_options.append(f"email {quote(email)}")
    if acme_ca:
        global_options.append(f"acme_ca {quote(acme_ca)}")
    if acme_ca_root:
        global_options.append(f"acme_ca_root {quote(acme_ca_root)}")
    if http_port != 80:
        global_options.append(f"http_port {http_port}")
    if https_port != 443:
        global_options.append(f"https_port {https_port}")
    if global_options:
        out.add(0, "{")
        for option in global_options:
            out.add(1, option)
        out.add(0, "}")

    for domain in domains:
        if out.lines:
            out.add(0, "")
        out.add(0, f"{quote(domain)} {{")
        if mode == "internal":
            out.add(1, "tls internal")
        if log_output != "none":  # no access log: the cheapest (see docs/benchmarks.md)
            out.add(1, "log {")
            if log_output == "file":
                out.add(2, f"output file {quote(log_file)} {{")
                out.add(3, f"roll_size {quote(roll_size)}")
                out.add(3, f"roll_keep {roll_keep}")
                out.add(2, "}")
            else:
                out.add(2, f"output {quote(log_output)}")
            # Kubo's client also sends --api-auth as an `api-auth` query
            # parameter; Caddy redacts the Authorization header but would log the
            # URI with the secret in it.
            out.add(2, "format filter {")
            out.add(3, "wrap json")
            out.add(3, "fields {")
            out.add(4, "request>uri query {")
            out.add(5, "delete api-auth")
            out.add(4, "}")
            out.add(3, "}")
            out.add(2, "}")
            out.add(2, f"level {quote(log_level)}")
            out.add(1, "}")
        if hsts:
            out.add(1, f"header Strict-Transport-Security {quote(hsts)}")
        for depth, line in extra:
            out.add(1 + depth, line)
        # `route` keeps the written order: preflight, then the API, then 404.
        out.add(1, "route {")
        if origins:
            out.add(2, "@cors_preflight {")
            out.add(3, "method OPTIONS")
            out.add(3, f"path {API_PATH}")
            for origin in origins:
                out.add(3, f"header Origin {quote(origin)}")
            out.add(2, "}")
            out.add(2, "handle @cors_preflight {")
            out.add(3, "header {")
            out.add(4, 'Access-Control-Allow-Origin "{http.request.header.Origin}"')
            out.add(4, 'Access-Control-Allow-Methods "POST, OPTIONS"')
            if allow_headers:
                out.add(4, f"Access-Control-Allow-Headers {quote(', '.join(allow_headers))}")
            if allow_credentials:
                out.add(4, 'Access-Control-Allow-Credentials "true"')
            out.add(4, f'Access-Control-Max-Age "{max_age}"')
            out.add(4, 'Vary "Origin"')
            out.add(3, "}")
            out.add(3, "respond 204")
            out.add(2, "}")
        out.add(2, f"handle {API_PATH} {{")
        if users:
            out.add(3, f"{auth_directive} {{")
            for username, password_hash in users:
                out.add(4, f"{quote(username)} {quote(password_hash)}")
            out.add(3, "}")
        if upstream_wait:
            # Holds requests across a Kubo restart; Caddy retries only failed dials.
            out.add(3, f"reverse_proxy {quote(upstream)} {{")
            out.add(4, f"lb_try_duration {upstream_wait}s")
            out.add(4, "lb_try_interval 250ms")
            out.add(3, "}")
        else:
            out.add(3, f"reverse_proxy {quote(upstream)}")
        out.add(2, "}")
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
