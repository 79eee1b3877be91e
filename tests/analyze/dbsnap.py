"""A small snapshot read from a real test database: catalog sizes, pg_stats, generic plans.

Only for tests of this area (the capture stage owns the real thing): enough catalog for the rules.
"""

from __future__ import annotations

import json
import re

import psycopg

from advisor.analyze.ddl import catalog_from_ddl
from advisor.model import ColumnStats, Snapshot, Statement

PARAM = re.compile(r"\$(\d+)")


def generic_plan(conn: psycopg.Connection, sql: str, analyze: bool = False) -> dict:
    count = max((int(n) for n in PARAM.findall(sql)), default=0)
    conn.execute("SET plan_cache_mode = force_generic_plan")
    conn.execute("DEALLOCATE ALL")
    conn.execute(f"PREPARE p AS {sql}")
    args = f"({', '.join(['NULL'] * count)})" if count else ""
    options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
    row = conn.execute(f"EXPLAIN ({options}) EXECUTE p{args}").fetchone()
    data = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return data[0]["Plan"]


def snapshot(dsn: str, ddl: str, queries: list[str], calls: int = 100) -> Snapshot:
    catalog = catalog_from_ddl(ddl)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in catalog.tables:
            reltuples, relpages = conn.execute(
                "SELECT reltuples, relpages FROM pg_class WHERE oid = %s::regclass", (table.qualname,)).fetchone()
            table.reltuples, table.relpages, table.n_live_tup = float(reltuples), relpages, int(reltuples)
            for name, null_frac, n_distinct, mcv, mcf in conn.execute(
                    "SELECT attname, null_frac, n_distinct, most_common_vals::text::text[], most_common_freqs "
                    "FROM pg_stats WHERE schemaname = %s AND tablename = %s", (table.schema, table.name)):
                column = table.column(name)
                if column:
                    column.stats = ColumnStats(null_frac=null_frac, n_distinct=n_distinct,
                                               most_common_vals=mcv, most_common_freqs=mcf)
        statements = [Statement(q, calls=calls, total_time_ms=calls * 10.0, plan=generic_plan(conn, q))
                      for q in queries]
    return Snapshot(database="test", server_version="15", statements=statements, catalog=catalog,
                    created_at="2026-11-28T12:00:00+00:00")
