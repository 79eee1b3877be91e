"""The catalog of user schemas: tables, columns and their statistics, indexes, foreign keys.

Row counts come from ``pg_class.reltuples``, never from the activity counters (a
``pg_stat_reset()``, a restore or a failover zeroes those). A table that was never analysed
(``reltuples = -1`` since PostgreSQL 14) and a partitioned parent (no rows of its own) get the
planner's own estimate instead - what it will plan with: the partitions' sum, or for a table it
has never measured, its physical size (at least 10 pages). A partitioned parent without
statistics of its own borrows the column statistics of its largest partition.

Relation sizes need a lock (``pg_relation_size`` opens the relation; so does ``pg_get_expr``,
which is why a partial index's predicate is taken from ``pg_get_indexdef``): when another session holds
a table ACCESS EXCLUSIVE, sizes fall back to ``relpages * block_size`` and a note says so, so a
locked table never stops a capture.
"""

from __future__ import annotations

import json

import psycopg
import psycopg.sql

from advisor.model import Catalog, Column, ColumnStats, ForeignKey, Index, Table

USER_SCHEMAS = ("n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
                "AND n.nspname !~ '^pg_(toast_)?temp'")
_EXACT_SIZE = ("CASE WHEN {rel}.oid = ANY(%(locked)s) THEN {rel}.relpages::bigint * "
               "current_setting('block_size')::bigint ELSE pg_relation_size({rel}.oid) END")
_ESTIMATED_SIZE = "{rel}.relpages::bigint * current_setting('block_size')::bigint"

TABLES = f"""
SELECT c.oid, n.nspname, c.relname, c.reltuples, c.relpages, c.relallvisible, {{size}},
       coalesce(s.n_live_tup, 0), coalesce(s.n_tup_ins, 0), coalesce(s.n_tup_upd, 0),
       coalesce(s.n_tup_del, 0), coalesce(s.seq_scan, 0), coalesce(s.idx_scan, 0),
       c.relkind, (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i
                   JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
                   WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm') AND {USER_SCHEMAS}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname
"""
COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       s.null_frac, s.n_distinct, s.most_common_vals::text::text[], s.most_common_freqs,
       s.correlation, s.avg_width
FROM pg_attribute a
LEFT JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
     AND s.attname = a.attname AND s.inherited = (c.relkind = 'p')
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
INDEXES = """
SELECT n.nspname, ic.relname, tn.nspname || '.' || tc.relname,
       CASE WHEN i.indexrelid = ANY(%(locked)s) OR i.indrelid = ANY(%(locked)s) THEN ''
            ELSE pg_get_indexdef(i.indexrelid) END,
       i.indnkeyatts, i.indnatts, am.amname, i.indpred IS NOT NULL,
       i.indisunique, i.indisprimary, i.indisvalid, i.indisready, con.conname,
       {size}, coalesce(s.idx_scan, 0), i.indexrelid,
       CASE WHEN i.indexrelid = ANY(%(locked)s) OR i.indrelid = ANY(%(locked)s)
            THEN ARRAY(SELECT coalesce(a.attname, '?') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
                       LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
                       ORDER BY k.o)
            ELSE ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                       FROM generate_series(1, i.indnatts) k) END
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
WHERE i.indrelid = ANY(%(oids)s)
ORDER BY 3, 2
"""
FOREIGN_KEYS = """
SELECT con.conname, tn.nspname || '.' || tc.relname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o),
       rn.nspname || '.' || rc.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)
FROM pg_constraint con
JOIN pg_class tc ON tc.oid = con.conrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype = 'f' AND con.conrelid = ANY(%s)
ORDER BY 2, 1
"""


RELATION_NAMES = f"""
SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {USER_SCHEMAS}
"""
LOCKED = """
SELECT DISTINCT l.relation FROM pg_locks l
WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
  AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def read_catalog(conn: psycopg.Connection, notes: list[str]) -> Catalog:
    """The catalog; ``notes`` gets a line for anything approximated."""
    locked = [r[0] for r in conn.execute(LOCKED)]
    tables, oids = _tables(conn, locked, notes)
    catalog = Catalog(tables=list(tables.values()))
    for row in conn.execute(COLUMNS, (oids,)):
        tables[row[0]].columns.append(_column(row))
    _planner_rows(conn, [t for oid, t in tables.items() if oid not in locked
                         and (not t.analyzed or t.kind == "partitioned")])
    _borrow_partition_stats(catalog)
    catalog.indexes = _indexes(conn, oids, locked, notes)
    for table in (t for oid, t in tables.items() if oid in locked):
        notes.append(f"{table.qualname} is locked ACCESS EXCLUSIVE by another session: its size is "
                     "estimated from relpages and its index definitions are incomplete")
    catalog.foreign_keys = [ForeignKey(name=r[0], table=r[1], columns=list(r[2]), ref_table=r[3],
                                       ref_columns=list(r[4]))
                            for r in conn.execute(FOREIGN_KEYS, (oids,))]
    catalog.extensions = dict(conn.execute(
        "SELECT extname, extversion FROM pg_extension ORDER BY extname").fetchall())
    catalog.available_extensions = [r[0] for r in conn.execute(
        "SELECT name FROM pg_available_extensions ORDER BY name")]
    catalog.stats_reset = _iso(conn.execute(
        "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()").fetchone())
    catalog.server_started = _iso(conn.execute("SELECT pg_postmaster_start_time()").fetchone())
    catalog.relation_names = sorted(r[0] for r in conn.execute(RELATION_NAMES))
    return catalog


def read_pgss_stats_reset(conn: psycopg.Connection, schema: str) -> str | None:
    if conn.info.server_version < 140000:
        return None
    with conn.transaction():
        row = conn.execute(f'SELECT stats_reset FROM "{schema}".pg_stat_statements_info').fetchone()
    return _iso(row)


def _with_sizes(conn: psycopg.Connection, query: str, args, what: str, notes: list[str],
                rel: str = "c"):
    """Rows of ``query`` with exact sizes, or estimated ones when a relation is locked."""
    try:
        with conn.transaction():
            return conn.execute(query.format(size=_EXACT_SIZE.format(rel=rel)), args).fetchall()
    except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled) as exc:
        notes.append(f"{what} sizes estimated from relpages: {str(exc).strip().splitlines()[0]}")
        return conn.execute(query.format(size=_ESTIMATED_SIZE.format(rel=rel)), args).fetchall()


def _tables(conn, locked, notes) -> tuple[dict[int, Table], list[int]]:
    tables = {}
    for row in _with_sizes(conn, TABLES, {"locked": locked}, "table", notes):
        oid, schema, name, reltuples, relpages, allvisible, size, *counts, relkind, parent = row
        kind = _KINDS.get(relkind, "table")
        tables[oid] = Table(schema=schema, name=name, reltuples=max(float(reltuples), 0.0),
                            relpages=int(relpages), relallvisible=int(allvisible),
                            size_bytes=int(size or 0), kind=kind,
                            partition_of=parent, analyzed=kind == "partitioned" or float(reltuples) >= 0,
                            **dict(zip(("n_live_tup", "n_tup_ins", "n_tup_upd", "n_tup_del",
                                        "seq_scan", "idx_scan"), map(int, counts), strict=True)))
    return tables, list(tables)


_KINDS = {"r": "table", "p": "partitioned", "m": "matview"}


def _planner_rows(conn: psycopg.Connection, tables: list[Table]) -> None:
    """``reltuples`` from the planner's estimate of a full scan, for the tables whose own count
    is missing; a table the planner cannot reach here (locked, no privilege) keeps its count."""
    for table in tables:
        only = "" if table.kind == "partitioned" else "ONLY "
        query = psycopg.sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {}{}").format(
            psycopg.sql.SQL(only), psycopg.sql.Identifier(table.schema, table.name))
        try:
            with conn.transaction():
                document = conn.execute(query).fetchone()[0]
        except psycopg.Error:
            continue
        plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
        table.reltuples = float(plan.get("Plan Rows") or 0.0)


def _borrow_partition_stats(catalog: Catalog) -> None:
    """A partitioned parent nobody analysed (autovacuum never does) has no column statistics:
    take its largest partition's, which describe the same columns."""
    for parent in (t for t in catalog.tables if t.kind == "partitioned"):
        if any(c.stats for c in parent.columns):
            continue
        leaves = [t for t in catalog.tables if parent.qualname in catalog.ancestors(t.qualname)
                  and t.kind != "partitioned"]
        largest = max(leaves, key=lambda t: t.reltuples, default=None)
        for column in parent.columns if largest else []:
            source = largest.column(column.name)
            column.stats = source.stats if source else None


def _column(row) -> Column:
    _, name, type_, not_null, null_frac, n_distinct, mcv, mcf, correlation, avg_width = row
    stats = None
    if null_frac is not None:
        stats = ColumnStats(null_frac=float(null_frac), n_distinct=float(n_distinct),
                            most_common_vals=list(mcv) if mcv is not None else None,
                            most_common_freqs=[float(f) for f in mcf] if mcf is not None else None,
                            correlation=float(correlation) if correlation is not None else None,
                            avg_width=int(avg_width) if avg_width is not None else None)
    return Column(name=name, type=type_, not_null=bool(not_null), stats=stats)


def _indexes(conn, oids: list[int], locked: list[int], notes: list[str]) -> list[Index]:
    indexes = []
    args = {"oids": oids, "locked": locked}
    for row in _with_sizes(conn, INDEXES, args, "index", notes, rel="ic"):
        (schema, name, table, definition, nkey, _natts, method, predicate, unique, primary,
         valid, ready, constraint, size, scans, _oid, parts) = row
        indexes.append(Index(schema=schema, name=name, table=table, definition=definition,
                             columns=list(parts[:nkey]), include=list(parts[nkey:]), method=method,
                             predicate=predicate_of(definition) if predicate else None, is_unique=unique, is_primary=primary,
                             is_valid=valid, is_ready=ready, constraint=constraint,
                             size_bytes=int(size or 0), idx_scan=int(scans)))
    return indexes


def predicate_of(definition: str) -> str | None:
    """The WHERE of a partial index, from its definition (pg_get_expr would lock the table).

        >>> predicate_of("CREATE INDEX i ON public.t USING btree (a) WHERE (b IS NULL)")
        'b IS NULL'
    """
    if " WHERE " not in definition:
        return None
    text = definition.rsplit(" WHERE ", 1)[1].strip()
    if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _iso(row) -> str | None:
    return row[0].isoformat() if row and row[0] is not None else None
