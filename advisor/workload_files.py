"""A workload read from SQL files: the statements a team says matter, with optional weights.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "q.sql").write_text("-- weight: 5\\nSELECT * FROM orders WHERE id = 1;\\nSELECT 1;")
    >>> statements, problems = load_queries([folder])
    >>> [(s.weight, s.source, s.query) for s in statements]
    [(5.0, 'file', 'SELECT * FROM orders WHERE id = 1'), (1.0, 'file', 'SELECT 1')]
    >>> problems
    []

Statements are split on the semicolons the PostgreSQL tokenizer of sqlglot sees, so a ``;`` in a
string, a dollar-quoted body, a quoted identifier or a comment does not split. A ``-- weight: N``
comment weighs the statement that follows it (default 1). A statement that does not parse, or a
file that does not tokenize, is reported and skipped: one bad query never hides the others.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from advisor.errors import AdvisorError
from advisor.fingerprint import separate_parameters
from advisor.model import Statement

SQL_SUFFIX = ".sql"
DEFAULT_WEIGHT = 1.0
_WEIGHT = re.compile(r"--[ \t]*weight[ \t]*:[ \t]*(\S+)", re.IGNORECASE)
_tokenizer = Postgres().tokenizer_class()
# What may stand alone as a statement: sqlglot also parses a bare expression ("selec * frm t").
STATEMENT_TYPES = (
    exp.Query, exp.DML, exp.DDL, exp.Values, exp.Command, exp.Set, exp.Transaction, exp.Commit,
    exp.Rollback, exp.Analyze, exp.Describe, exp.Alter, exp.Drop, exp.Grant, exp.Revoke,
    exp.TruncateTable, exp.Comment, exp.Execute, exp.Declare, exp.Show, exp.Use,
)


def load_queries(paths: Sequence[Path]) -> tuple[list[Statement], list[dict]]:
    """The statements of ``paths`` (files, or folders searched recursively for ``*.sql``).

    Returns ``(statements, problems)``; each problem is ``{"path", "statement_index", "reason"}``
    (``statement_index`` counts from 1 within its file; None when the whole file was skipped).
    A path that does not exist or cannot be read raises AdvisorError.
    """
    statements: list[Statement] = []
    problems: list[dict] = []
    for path in _sql_files(paths):
        found, skipped = _load_file(path)
        statements += found
        problems += skipped
    return statements, problems


def _sql_files(paths: Sequence[Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob(f"*{SQL_SUFFIX}") if p.is_file())
        elif path.is_file():
            yield path
        else:
            raise AdvisorError(f"cannot read queries from {path}: no such file or folder")


def _load_file(path: Path) -> tuple[list[Statement], list[dict]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [], [_problem(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        raise AdvisorError(f"cannot read queries from {path}: {exc.strerror or exc}") from None
    try:
        chunks = split_statements(text)
    except TokenError as exc:
        return [], [_problem(path, None, f"does not tokenize: {_first_line(exc)}")]
    statements, problems = [], []
    for index, (prefix, query) in enumerate(chunks, start=1):
        weight, bad_weight = _weight(prefix)
        reason = bad_weight or _parse_error(query)
        if reason:
            problems.append(_problem(path, index, reason))
        else:
            statements.append(Statement(query=query, source="file", weight=weight, calls=0))
    return statements, problems


def split_statements(text: str) -> list[tuple[str, str]]:
    """``(leading comments, statement text)`` per statement, split on top-level semicolons.

        >>> split_statements("select ';' ; -- weight: 2\\nselect $$a;b$$;")
        [('', "select ';'"), (' -- weight: 2\\n', 'select $$a;b$$')]

    Raises sqlglot's TokenError when the text does not tokenize (an unterminated string...).
    """
    try:
        tokens = _tokenizer.tokenize(text)
    except TokenError:
        text = separate_parameters(text)  # "($1,$2" reads as a dollar quote to sqlglot
        tokens = _tokenizer.tokenize(text)
    chunks: list[tuple[str, str]] = []
    start = 0
    group: list[Token] = []
    for token in tokens:
        if token.token_type != TokenType.SEMICOLON:
            group.append(token)
            continue
        if group:
            chunks.append(_chunk(text, start, group))
        start, group = token.end + 1, []
    if group:
        chunks.append(_chunk(text, start, group))
    return chunks


def _chunk(text: str, start: int, group: list[Token]) -> tuple[str, str]:
    first, last = group[0].start, group[-1].end
    return text[start:first], text[first:last + 1]


def _weight(prefix: str) -> tuple[float, str | None]:
    """The last ``-- weight: N`` before the statement; (weight, why it is invalid)."""
    marks = _WEIGHT.findall(prefix)
    if not marks:
        return DEFAULT_WEIGHT, None
    try:
        weight = float(marks[-1])
    except ValueError:
        weight = math.nan
    if not math.isfinite(weight) or weight <= 0:
        return DEFAULT_WEIGHT, f"invalid weight {marks[-1]!r}: give a positive number"
    return weight, None


def _parse_error(query: str) -> str | None:
    from advisor.analyze.parsing import SQLGLOT_ERRORS, Unparseable, parse

    try:
        tree = parse(query)  # the analysis's cached parse: the statement is parsed once
    except Unparseable:
        tree = None
    try:
        tree = tree or sqlglot.parse_one(query, read="postgres")
    except SQLGLOT_ERRORS as exc:
        return f"does not parse: {_first_line(exc)}"
    if not isinstance(tree, STATEMENT_TYPES):
        return f"does not parse: not a statement (read as {tree.key} {tree.sql(dialect='postgres')!r})"
    return None


def _problem(path: Path, index: int | None, reason: str) -> dict:
    return {"path": str(path), "statement_index": index, "reason": reason}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
