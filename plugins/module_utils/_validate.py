# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one validation core of the collection's filters.

Every setting that ends up in Kubo's config or in a Caddyfile is checked and
normalised here, once: text, host names, ports, origins, URLs, paths and the
plain types. ``kubo_api_merge`` and ``caddyfile`` both call these functions,
so one input has one canonical form (written identically to Kubo and to
Caddy) and one bad value gets one error message.

Each check raises ``InvalidSetting(where, message)``; ``where`` is the
setting without its role prefix (``cors_origins[0]``). A filter turns it
into ``AnsibleFilterError("<filter>: <prefix><where>: <message>")`` with
``plugin_utils._filter.filter_error`` (a module into its ``fail_json``
message), so that the message names the operator's variable. This file runs
on the controller (filters) and on managed hosts (modules), so it imports
nothing from Ansible.

Patterns are matched with ``fullmatch``: ``re.match(r"^...$")`` accepts a
value with a trailing newline, because ``$`` also matches before one.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, NamedTuple, NoReturn

# What Go's unicode.IsSpace reports, which is where Caddy's lexer ends a
# token: not only space and tab, but also NEL, no-break space and the other
# Unicode White_Space characters.
GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# Where Python's str.splitlines() (and so YAML tooling and log readers) starts a new line.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Characters whose IDNA 2003 (Python's codec) and IDNA 2008 mappings differ.
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
_PORT = re.compile(r"[0-9]{1,5}")
_HTTP_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
# Printable ASCII without space: what survives an HTTP header and a
# `--api-auth basic:USER:PASS` command line unchanged.
_ASCII_TOKEN = re.compile(r"[\x21-\x7e]+")
_ORIGIN = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>.*)", re.DOTALL)
_HTTPS_URL = re.compile(r"https://(?P<authority>[^/?#@\"]+)(?P<path>/[^?#\"]*)?(?P<query>\?[^#\"]*)?")
_API_PATH = re.compile(r"/api/v0(?:/[A-Za-z0-9/._~-]*)?")
_TCP_MULTIADDR = re.compile(r"/(?P<family>ip4|ip6|dns|dns4|dns6)/(?P<ip>[^/]+)/tcp/(?P<port>[0-9]{1,5})")
_UNIX_MULTIADDR = re.compile(r"/unix/(?P<path>.+)", re.DOTALL)


class InvalidSetting(ValueError):
    """A setting is invalid: ``where`` names it (without the role prefix)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(where, message)
        self.where = where
        self.message = message


def fail(where: str, message: str) -> NoReturn:
    raise InvalidSetting(where, message)


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"


# ------------------------------------------------------------------ types


def integer(where: str, value: Any, low: int, high: int) -> int:
    """An int in [low, high]; a string of digits (as Ansible templates give) is accepted."""
    if isinstance(value, bool):
        fail(where, f"must be an integer, got {value!r}")
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        fail(where, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        fail(where, f"{value} is out of range ({low}-{high})")
    return value


def boolean(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "yes", "1")
    fail(where, f"must be a boolean, got {value!r}")


def as_list(where: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        fail(where, f"must be a list, got {type(value).__name__}")
    return list(value)


def choice(where: str, value: Any, choices: tuple[str, ...], upper: bool = False) -> str:
    text_value = value.upper() if upper and isinstance(value, str) else value
    if text_value not in choices:
        fail(where, f"{value!r} is not one of {', '.join(choices)}")
    return text_value


# ------------------------------------------------------------------- text


def text(where: str, value: Any, allow_empty: bool = False) -> str:
    """A value written as one token: one line, visible characters, no Caddyfile syntax.

    ASCII space is allowed (the value is quoted); every other blank is
    refused, since Caddy's lexer splits tokens on all of them.
    """
    if not isinstance(value, str):
        fail(where, f"must be a string, got {type(value).__name__}")
    if not value and not allow_empty:
        fail(where, "must not be empty")
    for char in value:
        if char in LINE_BREAKS:
            fail(where, f"{value!r} contains a line break, which would start a new directive")
        category = unicodedata.category(char)
        if category == "Cc":
            fail(where, f"{value!r} contains the control character {char!r}")
        if char in GO_SPACE and char != " ":
            fail(where, f"{value!r} contains {_char_name(char)}, a blank on which Caddy splits tokens")
        if category in ("Cf", "Cs", "Co", "Cn"):
            fail(where, f"{value!r} contains {_char_name(char)}, an invisible or unassigned character")
        if char in "{}":
            fail(
                where,
                f"{value!r} contains {char!r}; braces open blocks, placeholders and "
                "environment variables in a Caddyfile",
            )
        if char == "\\":
            fail(where, f"{value!r} contains a backslash, which a Caddyfile cannot quote safely")
    return value


def ascii_token(where: str, value: Any) -> str:
    """Printable ASCII without blanks: user names, passwords, tokens (sent in HTTP headers)."""
    if not isinstance(value, str) or value == "":
        fail(where, "must be a non-empty string")
    if not _ASCII_TOKEN.fullmatch(value):
        fail(where, "must be printable ASCII without whitespace or control characters")
    return value


def header_name(where: str, value: Any) -> str:
    """An HTTP header field name (RFC 9110 token)."""
    if not isinstance(value, str) or not _HTTP_TOKEN.fullmatch(value):
        fail(where, f"{value!r} is not a valid HTTP header name")
    return value


# ------------------------------------------------------- hosts and ports


def hostname(where: str, value: Any, wildcard: bool = False, what: str = "domain name") -> str:
    """A DNS name in its ASCII (punycode), lower-case form, as browsers and Caddy write it."""
    if not isinstance(value, str) or not value:
        fail(where, f"{value!r} is not a valid {what}: it is empty or not a string")
    text(where, value)
    bad = f"{value!r} is not a valid {what}"
    if "://" in value:
        fail(where, f"{bad}: give the bare name without a scheme")
    if "/" in value:
        fail(where, f"{bad}: give the bare name without a path")
    if ":" in value:
        fail(where, f"{bad}: give the bare name without a port")
    if value.endswith("."):
        fail(where, f"{bad}: remove the trailing dot")
    deviations = _IDNA_DEVIATIONS.intersection(value)
    if deviations:
        fail(
            where,
            f"{bad}: {''.join(sorted(deviations))!r} maps differently in IDNA 2003 and IDNA 2008; "
            "give the punycode (xn--) form",
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
            fail(where, f"{bad}: {hint}")
        try:
            ascii_label = label.encode("idna").decode("ascii").lower()
        except UnicodeError:
            fail(where, f"{bad}: label {label!r} cannot be IDNA-encoded")
        if not _LABEL.fullmatch(ascii_label):
            fail(
                where,
                f"{bad}: label {label!r} must be 1-63 letters, digits or hyphens, "
                "not starting or ending with a hyphen",
            )
        out.append(ascii_label)
    if out[-1].isdigit():
        # Browsers and resolvers read such a name as an IPv4 address (127.1).
        fail(where, f"{bad}: its last label is a number, so it would be read as an IP address")
    name = ".".join(out)
    if len(name) > 253:
        fail(where, f"{bad}: longer than 253 characters")
    return name


def port(where: str, value: str, full: str, what: str) -> int:
    if not _PORT.fullmatch(value) or not 0 < int(value) < 65536:
        fail(where, f"{full!r} is not a valid {what}: port {value!r} is not 1-65535")
    return int(value)


def is_loopback_host(host: str) -> bool:
    """True for a loopback IP (127.0.0.0/8, ::1) and the name localhost."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def host_port(where: str, value: str, what: str, full: str | None = None) -> tuple[str, int | None]:
    """Split ``host[:port]`` (IPv6 as ``[addr]``); return the canonical host and the port.

    The host is an IP address in its compressed form or a DNS name in
    punycode, lower case. ``full`` is the whole setting, for messages.
    """
    full = value if full is None else full
    bad = f"{full!r} is not a valid {what}"
    port_text: str | None = None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            fail(where, f"{bad}: unclosed '['")
        host, rest = value[1:end], value[end + 1:]
        if rest:
            if not rest.startswith(":"):
                fail(where, f"{bad}: junk after ']'")
            port_text = rest[1:]
        try:
            host_out = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            fail(where, f"{bad}: {host!r} is not an IPv6 address")
    else:
        if value.count(":") > 1:
            fail(where, f"{bad}: write IPv6 addresses as [addr]:port")
        host, sep, port_part = value.partition(":")
        if sep:
            port_text = port_part
        try:
            host_out = str(ipaddress.IPv4Address(host))
        except ValueError:
            try:
                host_out = hostname(where, host, what="host name")
            except InvalidSetting as error:
                fail(where, f"{bad}: {error.message.split(': ', 1)[-1]}")
    return host_out, (None if port_text is None else port(where, port_text, full, what))


# ------------------------------------------------------------- composites


def origin(where: str, value: Any) -> str:
    """A browser origin in the exact form a browser sends in its Origin header.

    Kubo compares the Origin header with its list as plain strings, so the
    list must hold that form: lower-case scheme and host, punycode, no
    default port, no trailing slash.
    """
    if value == "*":
        fail(where, "'*' would let every web page drive the node; list the origins instead")
    text(where, value)
    if " " in value:
        fail(where, f"{value!r} is not a valid origin: it contains a space")
    match = _ORIGIN.fullmatch(value)
    usage = "write scheme://host[:port] (http or https, no path, no wildcard)"
    if not match or match["scheme"].lower() not in ("http", "https"):
        fail(where, f"{value!r} is not a valid origin: {usage}")
    if match["rest"] not in ("", "/"):
        fail(where, f"{value!r} is not a valid origin: it has a path, query or fragment; {usage}")
    if "@" in match["authority"] or not match["authority"]:
        fail(where, f"{value!r} is not a valid origin: {usage}")
    scheme = match["scheme"].lower()
    host, port_number = host_port(where, match["authority"], "origin", full=value)
    if port_number is None or (scheme, port_number) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port_number}"


def origins(where: str, values: Any) -> list[str]:
    """A list of origins in canonical form; two spellings of one origin are refused."""
    result: list[str] = []
    for index, value in enumerate(as_list(where, values)):
        canonical = origin(f"{where}[{index}]", value)
        if canonical in result:
            fail(f"{where}[{index}]", f"{value!r} is listed twice (as {canonical})")
        result.append(canonical)
    return result


def https_url(where: str, value: Any) -> str:
    """An https:// URL (an ACME directory), host and port canonical; empty stays empty."""
    text(where, value, allow_empty=True)
    if not value:
        return ""
    match = _HTTPS_URL.fullmatch(value)
    if not match or " " in value:
        fail(where, f"{value!r} is not a valid ACME directory URL: it must be https://host[:port]/path")
    host, port_number = host_port(where, match["authority"], "ACME directory URL", full=value)
    port_part = f":{port_number}" if port_number is not None else ""
    return f"https://{host}{port_part}{match['path'] or ''}{match['query'] or ''}"


def absolute_path(where: str, value: Any, allow_empty: bool = True) -> str:
    """An absolute file path without '..' components; empty stays empty."""
    text(where, value, allow_empty=allow_empty)
    if not value:
        return ""
    if not posixpath.isabs(value):
        fail(where, f"{value!r} is not an absolute path")
    if ".." in value.split("/"):
        fail(where, f"{value!r} must not contain '..' components")
    if value.endswith("/"):
        fail(where, f"{value!r} names a directory, not a file")
    return value


def email(where: str, value: Any) -> str:
    """An e-mail address with its domain in punycode; empty stays empty."""
    text(where, value, allow_empty=True)
    if not value:
        return ""
    local, sep, domain = value.rpartition("@")
    if not sep or not local or not re.fullmatch(r"[A-Za-z0-9.!#$%&'*+/=?^_`|~-]+", local) or len(value) > 254:
        fail(where, f"{value!r} is not a valid e-mail address")
    try:
        domain_ascii = hostname(where, domain, what="e-mail domain")
    except InvalidSetting:
        fail(where, f"{value!r} is not a valid e-mail address: bad domain {domain!r}")
    if "." not in domain_ascii:
        fail(where, f"{value!r} is not a valid e-mail address: the domain has no dot")
    return f"{local}@{domain_ascii}"


def api_path(where: str, value: Any) -> str:
    """A Kubo RPC path prefix: /api/v0 or below, no tricks Kubo's prefix match would miss."""
    if (
        not isinstance(value, str)
        or not _API_PATH.fullmatch(value)
        or "//" in value
        or ".." in value.split("/")
        or "." in value.split("/")
    ):
        fail(
            where,
            f"{value!r} is not an RPC path; it must be /api/v0 or start with /api/v0/ "
            "(other paths on Kubo's port are not protected by authorization)",
        )
    return value


class Multiaddr(NamedTuple):
    """The parts of an RPC listen address that matter for reaching it."""

    protocol: str  # ip4, ip6, dns, dns4, dns6 or unix
    host: str  # the IP address or name; for unix, the socket path
    port: int | None  # None for unix


def split_multiaddr(value: Any) -> Multiaddr | None:
    """/ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT or /unix/PATH split into parts; None for anything else.

    The one multiaddr parser of the collection: ``multiaddr`` checks what the
    roles write with it, and the modules find the RPC API of a config with it.
    """
    if not isinstance(value, str):
        return None
    unix = _UNIX_MULTIADDR.fullmatch(value)
    if unix:
        return Multiaddr("unix", "/" + unix["path"].lstrip("/"), None)
    tcp = _TCP_MULTIADDR.fullmatch(value)
    if not tcp or not 0 < int(tcp["port"]) < 65536:
        return None
    return Multiaddr(tcp["family"], tcp["ip"], int(tcp["port"]))


def multiaddr(where: str, value: Any) -> tuple[str, bool]:
    """A multiaddr Kubo's RPC API can listen on; returns it with whether it is loopback."""
    usage = f"{value!r} is not a multiaddr like /ip4/127.0.0.1/tcp/5001"
    if not isinstance(value, str):
        fail(where, usage)
    text(where, value)
    parts = split_multiaddr(value)
    if parts is None or parts.protocol not in ("ip4", "ip6", "unix"):
        fail(where, usage)
    if parts.protocol == "unix":
        return value, True
    try:
        ip = ipaddress.ip_address(parts.host)
    except ValueError:
        fail(where, usage)
    if ip.version != (4 if parts.protocol == "ip4" else 6):
        fail(where, usage)
    return value, ip.is_loopback
