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
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

_PARAM_AFTER_COMMA = re.compile(r"([,(])\$(\d)")
_QUERY_START = re.compile(r"^\s*(\(\s*)*(select|with|insert|update|delete|values|table)\b", re.I)
UTILITY = (
    exp.DDL, exp.Command, exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Analyze,
    exp.Describe, exp.Alter, exp.Drop, exp.Grant, exp.Revoke, exp.TruncateTable, exp.Comment,
    exp.Execute, exp.Declare, exp.Show, exp.Use, exp.Copy, exp.Pragma,
)


class Unparseable(Exception):
    """The statement cannot be read; ``str(exc)`` says why in one line."""


class _DropCommandFallback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_DropCommandFallback())


@lru_cache(maxsize=20_000)
def parse(sql: str) -> exp.Expression:
    """The statement's syntax tree (shared: do not modify it)."""
    try:
        tree = _parse(sql)
    except TokenError:
        # sqlglot reads "$1,$2" as the start of a dollar-quoted string; PostgreSQL does not.
        try:
            tree = _parse(_PARAM_AFTER_COMMA.sub(r"\1 $\2", sql))
        except TokenError as exc:
            raise Unparseable(f"does not tokenize: {_first_line(exc)}") from None
    if tree is None:
        raise Unparseable("empty statement")
    if isinstance(tree, exp.Command) and _QUERY_START.match(sql):
        raise Unparseable(f"unsupported syntax near {tree.text('this')!r}")
    if not isinstance(tree, (exp.Query, exp.DML, exp.Values, exp.Merge) + UTILITY):
        raise Unparseable(f"not a statement (read as {tree.key})")
    return tree


def _parse(sql: str) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(sql, read="postgres")
    except TokenError:
        raise
    except (ParseError, ValueError, IndexError, RecursionError) as exc:
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
