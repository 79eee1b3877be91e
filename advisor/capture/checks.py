"""Can this database be captured? Server version, pg_stat_statements, privileges.

Each problem becomes an ``AdvisorError`` that says how to fix it.
"""

from __future__ import annotations

import psycopg

from advisor.errors import AdvisorError

MIN_SERVER_VERSION = 130000
HIDDEN_QUERY = "<insufficient privilege>"

ENABLE_PGSS = (
    "add `shared_preload_libraries = 'pg_stat_statements'` to postgresql.conf, restart the "
    "server, then run `CREATE EXTENSION pg_stat_statements;` in this database"
)


def check_server_version(version_num: int, version: str) -> None:
    if version_num < MIN_SERVER_VERSION:
        raise AdvisorError(f"PostgreSQL {version} is not supported: advisor needs 13 or newer")


def pgss_schema(conn: psycopg.Connection) -> str:
    """The schema pg_stat_statements is installed in; AdvisorError saying how to enable it."""
    row = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                       "ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'").fetchone()
    if row is None:
        if _preloaded(conn) is False:
            raise AdvisorError(f"pg_stat_statements is not enabled: {ENABLE_PGSS}")
        raise AdvisorError("pg_stat_statements is not installed in this database: "
                           "run `CREATE EXTENSION pg_stat_statements;`")
    try:
        with conn.transaction():
            conn.execute(f'SELECT 1 FROM "{row[0]}".pg_stat_statements LIMIT 1').fetchall()
    except psycopg.errors.ObjectNotInPrerequisiteState:
        raise AdvisorError(f"pg_stat_statements is not loaded by the server: {ENABLE_PGSS}") from None
    except psycopg.errors.InsufficientPrivilege:
        raise AdvisorError("this role may not read pg_stat_statements: grant it pg_read_all_stats "
                           "(`GRANT pg_read_all_stats TO <role>;`)") from None
    return row[0]


def _preloaded(conn: psycopg.Connection) -> bool | None:
    """Whether shared_preload_libraries names pg_stat_statements (None: not allowed to look)."""
    try:
        with conn.transaction():
            preload = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
    except psycopg.errors.InsufficientPrivilege:
        return None
    return "pg_stat_statements" in [p.strip().strip('"') for p in preload.split(",")]


def check_privilege(hidden_rows: int) -> None:
    """Statements of other roles show as <insufficient privilege> without pg_read_all_stats."""
    if hidden_rows:
        raise AdvisorError(
            f"{hidden_rows} statement(s) of other roles are hidden from this role "
            "(<insufficient privilege>): connect as a superuser or grant the role "
            "pg_read_all_stats (`GRANT pg_read_all_stats TO <role>;`)")
