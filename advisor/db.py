"""Connecting safely to someone else's database.

Sessions opened for analysis are read-only, with ``statement_timeout`` and ``lock_timeout`` set,
and an ``application_name`` that lets capture exclude the advisor's own queries. Connection
problems become one-line ``AdvisorError``s; the password in a DSN never appears in them.

    >>> redact("postgresql://app:s3cret@db.example:5432/shop")
    'postgresql://app:***@db.example:5432/shop'
    >>> redact("host=db user=app password=s3cret dbname=shop")
    'host=db user=app password=*** dbname=shop'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import conninfo

from advisor.errors import AdvisorError


class _HandledPipelineErrors(logging.Filter):
    """psycopg warns (to stderr, with no handler set) when a pipeline ends after an error. The
    advisor catches every such error and retries the batch one statement at a time, so the
    warning would only alarm the user."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("error ignored terminating <psycopg.Pipeline")


logging.getLogger("psycopg").addFilter(_HandledPipelineErrors())

APPLICATION_NAME = "advisor"
STATEMENT_TIMEOUT_MS = 30_000
LOCK_TIMEOUT_MS = 2_000
CONNECT_TIMEOUT_S = 10

_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.I)


def redact(text: str) -> str:
    """``text`` with any DSN password replaced by ***."""
    text = _URL_PASSWORD.sub(r"\1***\3", text)
    return _KV_PASSWORD.sub(r"\1***", text)


def _password_of(dsn: str) -> str | None:
    try:
        return conninfo.conninfo_to_dict(dsn).get("password")
    except psycopg.Error:
        return None


def _explain(exc: Exception, dsn: str, failed: str = "cannot connect to") -> str:
    """A one-line reason for a failed connection, with no password in it."""
    raw = str(exc).strip()
    text = raw.lower()
    if "password authentication failed" in text or "authentication failed" in text:
        reason = "authentication failed (wrong user or password)"
    elif "no password supplied" in text:
        reason = "the server wants a password and the DSN has none"
    elif "does not exist" in text and "database" in text:
        reason = raw.splitlines()[-1].split("FATAL:")[-1].strip()
    elif "could not translate host name" in text or "name or service not known" in text:
        reason = "unknown host"
    elif "connection refused" in text or "no such file or directory" in text:
        reason = "connection refused: is PostgreSQL running there?"
    elif "statement timeout" in text or "lock timeout" in text:
        reason = raw.splitlines()[0]
    elif "timeout" in text or "timed out" in text:
        reason = "connection timed out"
    else:
        reason = raw.splitlines()[-1] if raw else type(exc).__name__
    secret = _password_of(dsn)
    message = redact(f"{failed} {describe(dsn)}: {reason}")
    return message.replace(secret, "***") if secret else message


def describe(dsn: str) -> str:
    """``user@host:port/dbname`` for messages (never the password)."""
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "the server"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    user = parts.get("user")
    db = parts.get("dbname") or user or ""
    return f"{user + '@' if user else ''}{host}:{port}/{db}"


def with_dbname(dsn: str, dbname: str) -> str:
    """``dsn`` pointing at another database, in the same form (URL or key=value).

    >>> with_dbname("postgresql://app:pw@db:5432/shop?sslmode=require", "scratch")
    'postgresql://app:pw@db:5432/scratch?sslmode=require'
    >>> with_dbname("host=db dbname=shop", "scratch")
    'dbname=scratch host=db'
    """
    if re.match(r"^postgres(ql)?://", dsn):
        parts = urlsplit(dsn)
        return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))
    params = conninfo.conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return conninfo.make_conninfo(**params)


def validate_dsn(dsn: str) -> None:
    try:
        conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        raise AdvisorError(
            "malformed DSN: expected postgresql://user@host:port/dbname or 'host=... dbname=...'"
        ) from None


def connect(dsn: str, *, readonly: bool = True, autocommit: bool = False,
            statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
            lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> psycopg.Connection:
    """A connection with the advisor's safety settings; ``readonly`` sessions cannot write."""
    validate_dsn(dsn)
    options = (f"-c statement_timeout={int(statement_timeout_ms)} "
               f"-c lock_timeout={int(lock_timeout_ms)} "
               f"-c idle_in_transaction_session_timeout={int(statement_timeout_ms) * 4}")
    if readonly:
        options += " -c default_transaction_read_only=on"
    try:
        conn = psycopg.connect(dsn, autocommit=autocommit, application_name=APPLICATION_NAME,
                               connect_timeout=CONNECT_TIMEOUT_S, options=options)
    except psycopg.Error as exc:
        raise AdvisorError(_explain(exc, dsn)) from None
    return conn


@contextmanager
def session(dsn: str, **kwargs) -> Iterator[psycopg.Connection]:
    """``connect`` as a context manager whose errors mid-session stay one-line and redacted."""
    conn = connect(dsn, **kwargs)
    try:
        yield conn
    except psycopg.Error as exc:
        lost = _why_gone(conn, exc)
        if lost is not None:
            raise AdvisorError(_explain(lost, dsn, "lost the connection to")) from None
        if isinstance(exc, psycopg.OperationalError):
            raise AdvisorError(_explain(exc, dsn, "query failed on")) from None
        raise
    finally:
        try:
            conn.close()
        except psycopg.Error:
            pass


def _why_gone(conn: psycopg.Connection, exc: psycopg.Error) -> psycopg.Error | None:
    """The error showing the server ended the session, or None while it still answers.

    A backend terminated mid-command can surface as any error (e.g. "received 2 results from
    command RELEASE"), before the connection is marked broken; one probe tells them apart. The
    session is being closed anyway, so rolling it back costs nothing.
    """
    if conn.broken or conn.closed:
        return exc
    try:
        conn.rollback()
        conn.execute("SELECT 1")
    except psycopg.OperationalError as probe:
        return probe
    except psycopg.Error:
        pass  # it still answers: the error was the statement's, not the session's
    return None


def server_version_num(conn: psycopg.Connection) -> int:
    return int(conn.execute("SHOW server_version_num").fetchone()[0])
