"""Parsing a statement once, with PostgreSQL's syntax, and remembering the tree per fingerprint.

    >>> parse("SELECT * FROM users WHERE id = $1").key
    'select'
    >>> kind_of(parse("CREATE INDEX ix ON t (a)"))
    'utility'

A statement that does not parse raises ``Unparseable`` with a one-line reason; what sqlglot can
only read as an opaque command is a utility statement, unless it claims to be a query.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from advisor.fingerprint import separate_parameters

_QUERY_START = re.compile(r"^\s*(\(\s*)*(select|with|insert|update|delete|values|table)\b", re.I)
_LEADING_COMMENTS = re.compile(r"^\s*(?:--[^\n]*(?:\n|$)\s*|/\*.*?\*/\s*)*", re.S)
_FIRST_WORD = re.compile(r"^\s*([a-z]+)", re.I)
# PostgreSQL utility statements sqlglot has no grammar for: read as opaque commands.
_UTILITY_WORDS = {
    "savepoint", "release", "listen", "unlisten", "notify", "deallocate", "discard", "checkpoint",
    "reindex", "cluster", "lock", "reset", "fetch", "move", "close", "declare", "do", "load",
    "refresh", "security", "import", "reassign", "prepare", "abort", "start", "end", "vacuum",
    "copy",
}
UTILITY = (
    exp.DDL, exp.Command, exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Analyze,
    exp.Describe, exp.Alter, exp.Drop, exp.Grant, exp.Revoke, exp.TruncateTable, exp.Comment,
    exp.Execute, exp.Declare, exp.Show, exp.Use, exp.Copy, exp.Pragma,
)


# Parsing time grows with the text (and sqlglot's scopes with the depth of the tree): a longer
# statement is recorded as unparsed rather than stalling the analysis.
MAX_PARSE_CHARS = 200_000


# What sqlglot raises on text it cannot read: its own errors, and - from its compiled parser
# (sqlglot[c]) - the type checks of a tree it could not build (``0?`` raises TypeError).
SQLGLOT_ERRORS = (ParseError, TokenError, ValueError, IndexError, TypeError, AttributeError, RecursionError)


class Unparseable(Exception):
    """The statement cannot be read; ``str(exc)`` says why in one line."""


class _DropCommandFallback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "falling back to parsing as a 'command'" not in record.getMessage().lower()


logging.getLogger("sqlglot").addFilter(_DropCommandFallback())


@lru_cache(maxsize=20_000)
def parse(sql: str) -> exp.Expression:
    """The statement's syntax tree (shared: do not modify it)."""
    if len(sql) > MAX_PARSE_CHARS:
        raise Unparseable(f"too long to analyse ({len(sql) // 1000} kB; the limit is "
                          f"{MAX_PARSE_CHARS // 1000} kB)")
    head = _LEADING_COMMENTS.sub("", sql)
    first = _FIRST_WORD.match(head)
    word = first.group(1).lower() if first else ""
    if word in _UTILITY_WORDS:
        return exp.Command(this=word.upper(), expression=exp.Literal.string(head[first.end():].strip()))
    sql = separate_parameters(sql)
    try:
        tree = _parse(sql)
    except TokenError as exc:
        raise Unparseable(f"does not tokenize: {_first_line(exc)}") from None
    if tree is None:
        raise Unparseable("empty statement")
    if isinstance(tree, exp.Command) and _QUERY_START.match(head):
        raise Unparseable(f"unsupported syntax near {tree.text('this')!r}")
    if isinstance(tree, exp.Query | exp.DML) and not _QUERY_START.match(head):
        raise Unparseable(f"does not start like a statement ({word or sql[:1]!r})")
    if isinstance(tree, exp.DML) and not isinstance(tree.this, exp.Expression):
        raise Unparseable(f"{tree.key} without a table")
    if not isinstance(tree, (exp.Query, exp.DML, exp.Values, exp.Merge) + UTILITY):
        raise Unparseable(f"not a statement (read as {tree.key})")
    return tree


POSTGRES = Dialect.get_or_raise("postgres")


class _Reader(threading.local):
    """A tokenizer and a parser per thread: building them took a quarter of each parse's time."""

    def __init__(self) -> None:
        self.tokenizer = POSTGRES.tokenizer()
        self.parser = POSTGRES.parser()


_reader = _Reader()


def parse_one(sql: str) -> exp.Expression:
    """``sqlglot.parse_one(sql, read="postgres")``, with this thread's tokenizer and parser."""
    result = _reader.parser.parse(_reader.tokenizer.tokenize(sql), sql)
    if not result or result[0] is None:
        raise ParseError(f"No expression was parsed from '{sql}'")
    return exp.Block(expressions=result) if len(result) > 1 else result[0]


def _parse(sql: str) -> exp.Expression | None:
    try:
        return parse_one(sql)
    except TokenError:
        raise
    except SQLGLOT_ERRORS as exc:
        raise Unparseable(_first_line(exc)) from None


def kind_of(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Query | exp.Values):
        return "select"
    if isinstance(tree, exp.Insert):
        return "insert"
    if isinstance(tree, exp.Update):
        return "update"
    if isinstance(tree, exp.Delete):
        return "delete"
    if isinstance(tree, UTILITY):
        return "utility"
    return "other"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
