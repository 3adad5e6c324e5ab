# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Caddyfile lines judged the way Caddy reads them (2.6 and 2.11 alike).

The ``caddyfile`` filter lets operators add their own lines to the site
block (``caddy_tls_extra_directives``). A line must never end that block
early, open a new site, or pull in text nobody reviewed. This module reads
each line as Caddy's lexer (caddyconfig/caddyfile/lexer.go) and parser
(parse.go) do, and refuses what would make Caddy see a different structure
than the one written:

- Caddy ends a token at every Unicode blank (Go's ``unicode.IsSpace``), so a
  no-break space before ``{`` opens a block. Only ASCII space and tab may
  separate tokens here; other blanks, line breaks and invisible characters
  are refused.
- ``{$NAME}`` is replaced on the raw bytes before lexing, even inside
  quotes and comments, and an unterminated ``{$`` swallows text up to the
  next ``}`` on a later line: refused anywhere.
- A backslash at the end of a token escapes the line break and joins the
  next line to this one; in a comment, any backslash does (the lexer reads
  escapes before it skips the comment). Refused there, and at the start of
  an unquoted token, where it changes how Caddy reads ``#``, quotes and
  ``<<``.
- The parser compares a token's text, quoted or not: a quoted ``"}"`` still
  closes the site block and ``"import"`` still imports. Quoted forms of
  ``{``, ``}`` and ``import`` are refused, ``{}`` in any form (Caddy reads
  it as an empty block), and ``import``, because its content is not seen here.
- ``<<MARKER`` starts a heredoc in Caddy 2.7 and later: refused.
"""

from __future__ import annotations

import unicodedata
from typing import Any, NamedTuple

from ansible_collections.secure_kubo.rpc.plugins.module_utils._validate import (
    GO_SPACE,
    LINE_BREAKS,
    as_list,
    fail,
)

_STRUCTURAL = ("{", "}", "{}", "import")


class Token(NamedTuple):
    """One token: its text as Caddy sees it, and the quote character around it ('' if none)."""

    text: str
    quote: str
    raw: str  # as written, quotes included


def _check_characters(where: str, line: str) -> None:
    for char in line:
        if char in LINE_BREAKS:
            fail(where, f"{line!r} contains a line break; give one line per list item")
        if char == "\t":
            continue
        if unicodedata.category(char) == "Cc":
            fail(where, f"{line!r} contains the control character {char!r}")
        if char in GO_SPACE and char != " ":
            fail(
                where,
                f"{line!r} contains U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')}), a blank on which "
                "Caddy splits tokens; use an ASCII space",
            )
        if unicodedata.category(char) in ("Cf", "Cs", "Co", "Cn"):
            fail(where, f"{line!r} contains the invisible or unassigned character U+{ord(char):04X}")
    if "{$" in line:
        fail(
            where,
            f"{line!r} contains '{{$', which Caddy replaces with an environment variable before it reads "
            "the file (an unclosed one swallows the following lines); use {env.NAME} instead",
        )


def tokenize(where: str, line: str) -> list[Token]:
    """Split one line into tokens as Caddy's lexer does; a comment is one last token."""
    _check_characters(where, line)
    tokens: list[Token] = []
    index, length = 0, len(line)
    while index < length:
        char = line[index]
        if char in " \t":
            index += 1
            continue
        start = index
        if char == "#":
            if "\\" in line[index:]:
                # Caddy's lexer still reads escapes in a comment: a backslash there
                # joins the next line to the directive before the comment.
                fail(where, f"{line!r} has a backslash in a comment, which makes Caddy join lines")
            tokens.append(Token(line[index:], "", line[index:]))
            break
        if char == '"':
            index, value = _quoted(where, line, index + 1)
            token = Token(value, '"', line[start:index])
        elif char == "`":
            end = line.find("`", index + 1)
            if end < 0:
                fail(where, f"{line!r} has an unbalanced backtick")
            index = end + 1
            token = Token(line[start + 1:end], "`", line[start:index])
        else:
            while index < length and line[index] not in " \t":
                if line[index] in "\"`":
                    fail(where, f"{line!r} has a quote in the middle of a token")
                index += 1
            token = Token(line[start:index], "", line[start:index])
            if token.text.startswith("<<"):
                fail(where, f"{line!r} starts a heredoc, which needs several lines")
            if token.text.startswith("\\") or token.text.endswith("\\"):
                # At the start a backslash changes how Caddy reads the token (\#, \<);
                # before a blank or the end of the line it joins the next line.
                fail(where, f"{line!r} has a backslash at the start or end of a token")
        if index < length and line[index] not in " \t":
            fail(where, f"{line!r} has text glued to the end of a quoted token")
        tokens.append(token)
    return tokens


def _quoted(where: str, line: str, index: int) -> tuple[int, str]:
    """Read a double-quoted token from index (after the quote): \\" is a quote, other escapes stay."""
    value: list[str] = []
    escaped = False
    while index < len(line):
        char = line[index]
        index += 1
        if escaped:
            if char != '"':
                value.append("\\")
            value.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            return index, "".join(value)
        else:
            value.append(char)
    fail(where, f"{line!r} has an unbalanced double quote")


def _check_structure(where: str, item: str, tokens: list[Token]) -> None:
    for position, token in enumerate(tokens):
        if token.quote and token.text in _STRUCTURAL:
            fail(where, f"{item!r}: a quoted {token.raw} still counts as {token.text!r} in Caddy; remove it")
        if token.text == "{}":
            fail(where, f"{item!r}: Caddy reads a '{{}}' token as a block, not as text; remove it")
        if token.text == "import" and position == 0:
            fail(where, f"{item!r}: import is not allowed here; the imported text could not be checked")
        if token.text == "{" and position != len(tokens) - 1:
            fail(where, f"{item!r}: a '{{' must be the last token of its line")
        if token.text == "}" and len(tokens) != 1:
            fail(where, f"{item!r}: a '}}' must stand alone on its line")


def directive_lines(where: str, value: Any) -> list[tuple[int, str]]:
    """Check extra directive lines; return (depth, normalised line) pairs.

    Refuses anything that would make Caddy see a different block structure
    than these lines show, and braces that do not balance.
    """
    depth = 0
    opened_at = 0
    lines = []
    for index, item in enumerate(as_list(where, value)):
        here = f"{where}[{index}]"
        if not isinstance(item, str):
            fail(here, f"must be a string, got {type(item).__name__}")
        tokens = tokenize(here, item)
        if not tokens:
            fail(here, "is empty")
        if tokens[0].text.startswith("#") and not tokens[0].quote:
            lines.append((depth, tokens[0].raw))
            continue
        _check_structure(here, item, tokens)
        line = " ".join(token.raw for token in tokens)
        if tokens[0].text == "}":
            depth -= 1
            if depth < 0:
                fail(here, f"{item!r} closes a block that it did not open (braces are unbalanced)")
            lines.append((depth, line))
            continue
        lines.append((depth, line))
        if tokens[-1].text == "{":
            if depth == 0:
                opened_at = index
            depth += 1
    if depth:
        fail(f"{where}[{opened_at}]", "opens a block that is never closed (braces are unbalanced)")
    return lines


def line_start(where: str, value: str) -> str:
    """A value the filter writes as the first token of a line (a site address, a user name).

    Caddy's parser reads ``import`` there as a directive, quoted or not.
    """
    if value == "import":
        fail(where, "'import' cannot start a line: Caddy reads it as an import directive, quoted or not")
    return value
