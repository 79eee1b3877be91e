"""Which statements belong to the workload, and the pg_stat_statements shape of a logged one.

    >>> parameterize("SELECT * FROM t WHERE id = 5 AND name = 'x' LIMIT 10")
    ('SELECT * FROM t WHERE id = $1 AND name = $2 LIMIT $3', ['5', 'x', '10'])
    >>> is_utility("COMMIT"), is_utility("select 1"), touches_system("select * from pg_stat_activity")
    (True, False, True)
"""

from __future__ import annotations

import re

from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

PLANNABLE = ("select", "with", "insert", "update", "delete", "values", "table", "merge")
_FIRST_WORD = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*\(*\s*(\w+)", re.S)
_SYSTEM = re.compile(
    r"\b(?:pg_catalog|information_schema|hypopg\w*|pg_stat\w*|pg_class|pg_namespace|pg_attribute|"
    r"pg_index|pg_indexes|pg_constraint|pg_extension|pg_available_extensions|pg_settings|"
    r"pg_database|pg_am|pg_type|pg_proc|pg_roles|pg_authid|pg_prepared_statements|pg_locks|"
    r"pg_tables|pg_views|pg_inherits|pg_description|pg_trigger|pg_depend|pg_tablespace|"
    r"pg_sequences?|pg_user\w*|pg_get_\w+|pg_relation_size|pg_total_relation_size|pg_backend_pid|"
    r"pg_sleep|current_setting|set_config|pg_is_in_recovery|pg_postmaster_start_time)\b",
    re.I)
_LITERALS = {TokenType.NUMBER, TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.BIT_STRING,
             TokenType.HEX_STRING, TokenType.BYTE_STRING}
_PARAM = re.compile(r"\$(\d+)")
_tokenizer = Postgres().tokenizer_class()


def first_word(sql: str) -> str:
    match = _FIRST_WORD.match(sql)
    return match.group(1).lower() if match else ""


def is_utility(sql: str) -> bool:
    """True for statements the planner does not plan: BEGIN, SET, SHOW, DDL, EXPLAIN, ..."""
    return first_word(sql) not in PLANNABLE


def touches_system(sql: str) -> bool:
    """True when the statement reads system catalogs or statistics (the advisor's own, psql's)."""
    return bool(_SYSTEM.search(sql))


def is_workload(sql: str) -> bool:
    """A statement worth capturing: plannable and about user tables."""
    return bool(sql.strip()) and not is_utility(sql) and not touches_system(sql)


def parameterize(sql: str) -> tuple[str, list[str]]:
    """``sql`` with constants replaced by ``$n`` (numbered after any already there), and them."""
    try:
        tokens = _tokenizer.tokenize(sql)
    except (TokenError, ValueError, IndexError):
        return sql, []
    numbers = [int(n) for n in _PARAM.findall(sql)]
    next_n = max(numbers, default=0) + 1
    out, values, pos = [], [], 0
    previous = None
    for tok in tokens:
        if tok.token_type in _LITERALS and not (previous and previous.token_type == TokenType.PARAMETER):
            start = _literal_start(sql, tok)
            out.append(sql[pos:start])
            out.append(f"${next_n}")
            values.append(tok.text)
            next_n += 1
            pos = tok.end + 1
        previous = tok
    out.append(sql[pos:])
    return "".join(out), values


def _literal_start(sql: str, tok) -> int:
    """Where a literal's source text starts (string tokens do not count their prefix or quote)."""
    start = tok.start
    if tok.token_type != TokenType.NUMBER:
        while start > 0 and sql[start - 1] == "'":
            start -= 1
            break
        if start > 0 and sql[start - 1] in "EeBbXxNn" and (start < 2 or not sql[start - 2].isalnum()):
            start -= 1
    return start
