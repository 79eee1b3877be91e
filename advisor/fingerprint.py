"""A statement's fingerprint: stable across servers, pg_stat_statements resets and log formats.

    >>> normalize("select * FROM users WHERE id = 42 AND name IN ('a', 'b')")
    'select * from users where id = ? and name in (?)'
    >>> fingerprint("SELECT * FROM users WHERE id = $1") == fingerprint("select *  from users where id=7")
    True
    >>> normalize("SELECT * FROM t WHERE id IN ($1::BIGINT, $2::BIGINT, $3::BIGINT)")
    'select * from t where id in (?)'


Constants and ``$n`` parameters become ``?``, lists of them collapse to one, everything but
quoted identifiers is lower-cased; comments and whitespace do not count. So a
pg_stat_statements row, a server-log line with literal values and a SQL file all agree.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

_LITERALS = {
    TokenType.NUMBER, TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.BIT_STRING,
    TokenType.HEX_STRING, TokenType.BYTE_STRING, TokenType.HEREDOC_STRING,
    TokenType.RAW_STRING, TokenType.UNICODE_STRING, TokenType.PLACEHOLDER,
}
_CAST = r"(?:::[a-z_][\w ]*?(?:\[\])?)?"
_LIST = re.compile(rf"\(\s*\?{_CAST}(?:\s*,\s*\?{_CAST})+\s*\)")
_IN_ONE = re.compile(rf"\bin \(\s*\?{_CAST}\s*\)")
_ARRAY = re.compile(r"array\[\s*\?(?:\s*,\s*\?)*\s*\]")
_tokenizer = Postgres().tokenizer_class()
_PARAM_AFTER_PUNCT = re.compile(r"(?<=[^\s\w$'\"])\$(\d)")


def separate_parameters(sql: str) -> str:
    """``($1,$2)`` -> ``( $1, $2)``: sqlglot's tokenizer reads ``$1,$`` as a dollar-quote tag.

        >>> separate_parameters("IN ($1,$2::int,$3)")
        'IN ( $1, $2::int, $3)'
    """
    return _PARAM_AFTER_PUNCT.sub(r" $\1", sql) if "$" in sql else sql
MAX_TOKENIZED_CHARS = 200_000  # longer text is normalised by regular expressions (seconds saved)


@lru_cache(maxsize=20_000)
def normalize(sql: str) -> str:
    """The canonical text of a statement: what its fingerprint is taken from."""
    if len(sql) > MAX_TOKENIZED_CHARS:
        return _normalize_roughly(sql)
    try:
        tokens = _tokenizer.tokenize(separate_parameters(sql))
    except (TokenError, ValueError, IndexError):
        return _normalize_roughly(sql)
    out: list[str] = []
    skip_number = False
    for tok in tokens:
        kind = tok.token_type
        if kind == TokenType.SEMICOLON:
            continue
        if kind == TokenType.PARAMETER:
            out.append("?")
            skip_number = True
            continue
        if skip_number and kind == TokenType.NUMBER:
            skip_number = False
            continue
        skip_number = False
        if kind in _LITERALS:
            out.append("?")
        elif kind == TokenType.IDENTIFIER:
            out.append('"' + tok.text.replace('"', '""') + '"')
        else:
            out.append(tok.text.lower())
    text = _join(out)
    text = _ARRAY.sub("array[?]", _IN_ONE.sub("in (?)", _LIST.sub("(?)", text)))
    return text


def _join(parts: list[str]) -> str:
    text = " ".join(parts)
    text = re.sub(r"\s*\.\s*", ".", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r"\b(?!(?:in|and|or|not|as|on|from|where|select|values|exists|any|all)\b)(\w+) ([(\[])", r"\1\2", text)
    text = re.sub(r"\s*::\s*", "::", text)
    return text


def _normalize_roughly(sql: str) -> str:
    """Fallback for text the tokenizer rejects: still deterministic, just less clever."""
    text = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S)
    text = re.sub(r"'(?:[^']|'')*'", "?", text)
    text = re.sub(r"\$\d+|\b\d+(?:\.\d+)?\b", "?", text)
    return " ".join(text.split()).rstrip(";").strip()


def fingerprint(sql: str) -> str:
    """16 hex digits naming the statement's normalised text."""
    return hashlib.sha1(normalize(sql).encode()).hexdigest()[:16]
