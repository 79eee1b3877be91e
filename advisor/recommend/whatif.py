"""What-if costing: the planner's cost of a statement with hypothetical indexes (HypoPG).

    >>> from advisor.model import IndexSpec
    >>> with WhatIf.open(dsn) as w:                                   # doctest: +SKIP
    ...     w.cost("SELECT * FROM t WHERE a = 1", [IndexSpec("public.t", ["a"])]) < w.cost(
    ...         "SELECT * FROM t WHERE a = 1", [])
    True

HypoPG's indexes live in the memory of one backend: nothing is written, other sessions never see
them, and they vanish when the session ends. ``hypopg_create_index`` works inside a read-only
transaction (checked on PostgreSQL 15 + HypoPG 1.3.1), so the session is the advisor's usual
read-only one. Only indexes on the tables a statement reads can change its plan, so costs are
cached per (statement, the wanted indexes on its tables) and only those are made present.

Without HypoPG, ``allow_real_indexes=True`` builds real indexes inside a transaction that is
always rolled back - for a scratch copy only, since CREATE INDEX takes a SHARE lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg

from advisor.ddl import create_index_sql
from advisor.errors import AdvisorError
from advisor.fingerprint import fingerprint
from advisor.model import IndexSpec
from advisor.recommend.explain import (
    GENERIC_PLAN_VERSION,
    ExplainFailed,
    explain_json,
    plan_root,
    send_explain,
)
from advisor.recommend.robust import robust_cost

HYPOPG_MISSING = ("HypoPG is not installed in this database, so candidate indexes were not costed "
                  "(no what-if benefits, no index sizes). Install it: apt-get install "
                  "postgresql-15-hypopg (or your server's version), then CREATE EXTENSION hypopg.")
HYPOPG_DENIED = ("HypoPG is installed but this role may not use it (permission denied), so candidate "
                 "indexes were not costed: GRANT EXECUTE ON FUNCTION hypopg_reset(), "
                 "hypopg_create_index(text), hypopg_drop_index(oid), hypopg_relation_size(oid) "
                 "TO the role.")
MAX_PRESENT = 400  # hypothetical indexes kept at once before a hypopg_reset()


class WhatIf:
    """A session that prices statements under sets of hypothetical indexes."""

    def __init__(self, conn, *, allow_real_indexes: bool = False):
        self.conn = conn
        self.version = int(conn.execute("SHOW server_version_num").fetchone()[0])
        self.hypopg = conn.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'hypopg'").fetchone() is not None
        if not self.hypopg and not allow_real_indexes:
            raise AdvisorError(HYPOPG_MISSING)
        self.real = not self.hypopg
        self.explain_calls = 0
        self._costs: dict[tuple, float] = {}
        self._sizes: dict[tuple, int] = {}
        self._present: dict[tuple, tuple[int, str] | object] = {}  # key -> (oid, name), or its cursor
        self._specs: dict[tuple, IndexSpec] = {}
        self._supported: set[tuple] = set()  # keys HypoPG made once
        self.reltuples: dict[str, float] = dict(conn.execute(
            "SELECT c.relname, max(c.reltuples) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname "
            "NOT IN ('pg_catalog', 'information_schema') GROUP BY c.relname").fetchall())
        conn.prepare_threshold = None  # DEALLOCATE ALL ends the statements send_explain prepares
        if self.version < GENERIC_PLAN_VERSION:  # EXPLAIN EXECUTE of a $n statement: its generic plan
            conn.execute("SET plan_cache_mode = force_generic_plan")
        if self.hypopg:
            try:
                conn.execute("SELECT hypopg_reset()")
            except Exception as exc:  # noqa: BLE001 - psycopg's InsufficientPrivilege
                if "permission denied" not in str(exc):
                    raise
                raise AdvisorError(HYPOPG_DENIED) from None

    @classmethod
    def open(cls, dsn: str, **kwargs) -> _Session:
        return _Session(dsn, kwargs)

    # -- costing -------------------------------------------------------------------------------

    def cost(self, sql: str, indexes: Sequence[IndexSpec], tables: Iterable[str] | None = None,
             key: str | None = None) -> float:
        """Planner cost of ``sql`` with exactly ``indexes`` (those on ``tables``) present.

        The plan's total cost, except for a LIMIT that an index only sorts for (``robust_cost``).
        """
        return self.costs([(sql, indexes, tables, key)])[0]

    def costs(self, requests: Sequence[tuple]) -> list[float]:
        """``cost`` of each ``(sql, indexes, tables, key)``; the ones not cached are EXPLAINed in
        one pipeline (one round trip for the lot, hypothetical indexes switched in between),
        grouped by the indexes they want so each is created once."""
        keys: list[tuple] = []
        misses: dict[tuple, tuple] = {}
        costs = self._costs
        for sql, indexes, tables, key in requests:  # the hot path: most are cached
            cache_key = (key or fingerprint(sql), frozenset(
                [i.key() for i in indexes if tables is None or i.table in tables]))
            keys.append(cache_key)
            if cache_key not in costs and cache_key not in misses:
                within = [i for i in indexes if tables is None or i.table in tables]
                misses[cache_key] = (sql, {i.key(): i for i in within},
                                     None if tables is None else set(tables))
        if misses:
            order = sorted(misses, key=lambda k: sorted(map(repr, k[1])))
            plans = self._explain_many([misses[k] for k in order])
            for cache_key, plan in zip(order, plans, strict=True):
                self._costs[cache_key] = robust_cost(plan, self.reltuples)
        return [costs[k] for k in keys]

    def seed(self, key: str, plan: dict) -> None:
        """Take ``plan``, made on this server moments ago with no hypothetical index, as the
        cost of the statement ``key`` without any (it need not be EXPLAINed again)."""
        self._costs[(key, frozenset())] = robust_cost(plan_root(plan), self.reltuples)

    def plan(self, sql: str, indexes: Sequence[IndexSpec], tables: Iterable[str] | None = None) -> dict:
        """The plan's root node with ``indexes`` present (not cached)."""
        tables = set(tables) if tables is not None else None
        return self._explain_many([(sql, {i.key(): i for i in indexes
                                          if tables is None or i.table in tables}, tables)])[0]

    def used_indexes(self, plan: dict) -> list[IndexSpec]:
        """The hypothetical indexes a plan made with this session scans."""
        by_name = {self._name(k): self._specs[k] for k in self._present}
        found = []
        for node in _nodes(plan):
            spec = by_name.get(node.get("Index Name", ""))
            if spec is not None and spec not in found:
                found.append(spec)
        return found

    def size(self, spec: IndexSpec) -> int:
        """Estimated size in bytes (hypopg_relation_size)."""
        if spec.key() not in self._sizes:
            if self.real:
                self._sizes[spec.key()] = self._real_size(spec)
            else:
                self._ensure(spec)
                self._sizes[spec.key()] = int(self.conn.execute(
                    "SELECT hypopg_relation_size(%s)", (self._oid(spec.key()),)).fetchone()[0])
        return self._sizes[spec.key()]

    def reset(self) -> None:
        """Drop every hypothetical index of this session."""
        if self.hypopg:
            self.conn.execute("SELECT hypopg_reset()")
        self._present.clear()

    # -- hypothetical index bookkeeping ----------------------------------------------------------

    def _explain_many(self, requests: list[tuple]) -> list[dict]:
        """Root plan nodes of ``(sql, wanted indexes by key, tables)``, in order."""
        self.explain_calls += len(requests)
        if self.real:
            return [self._explain_real(sql, list(wanted.values())) for sql, wanted, _ in requests]
        for spec in {k: s for _, wanted, _ in requests for k, s in wanted.items()}.values():
            if spec.key() not in self._supported:
                self._ensure(spec)  # alone, so an index HypoPG cannot model is told apart
        pending = []
        try:
            with self.conn.pipeline():
                for sql, wanted, tables in requests:
                    self._switch(wanted, tables)
                    pending.append(send_explain(self.conn, sql, self.version))
                if self.version < GENERIC_PLAN_VERSION:
                    self.conn.execute("DEALLOCATE ALL")  # the $n statements send_explain prepared
        except psycopg.Error as exc:
            self._lost_track()
            raise ExplainFailed(f"cannot plan: {str(exc).splitlines()[0]}") from None
        return [plan_root(cursor.fetchone()[0]) for cursor in pending]

    def _switch(self, wanted: dict[tuple, IndexSpec], tables: set[str] | None) -> None:
        """Make exactly ``wanted`` present among the hypothetical indexes on ``tables``."""
        for k in [k for k in self._present if k not in wanted
                  and (tables is None or self._specs[k].table in tables)]:
            self.conn.execute("SELECT hypopg_drop_index(%s)", (self._oid(k),))
            del self._present[k]
        if len(self._present) + len(wanted) > MAX_PRESENT:
            self.reset()
        for spec in wanted.values():
            self._ensure(spec, may_reset=False)  # a reset here would drop wanted ones

    def _ensure(self, spec: IndexSpec, may_reset: bool = True) -> None:
        key = spec.key()
        if key in self._present:
            return
        if may_reset and len(self._present) >= MAX_PRESENT:
            self.reset()
        ddl = create_index_sql(spec, "advisor_hypo", concurrently=False, if_not_exists=False)
        if key in self._supported:  # known to work: its result may wait (pipeline)
            self._present[key] = self.conn.execute("SELECT * FROM hypopg_create_index(%s)", (ddl,))
            return
        try:
            row = self.conn.execute("SELECT * FROM hypopg_create_index(%s)", (ddl,)).fetchone()
        except Exception as exc:  # noqa: BLE001 - psycopg errors: an index HypoPG cannot model
            raise UnsupportedIndex(f"HypoPG cannot simulate {ddl}: {str(exc).splitlines()[0]}") from None
        self._present[key] = (int(row[0]), row[1])
        self._specs[key] = spec
        self._supported.add(key)

    def _oid(self, key: tuple) -> int:
        return self._resolve(key)[0]

    def _name(self, key: tuple) -> str:
        return self._resolve(key)[1]

    def _resolve(self, key: tuple) -> tuple[int, str]:
        """(oid, name) of a present index, waiting for its creation's result if need be."""
        value = self._present[key]
        if not isinstance(value, tuple):
            row = value.fetchone()
            value = self._present[key] = (int(row[0]), row[1])
        return value

    def _lost_track(self) -> None:
        """After a failed pipeline: start again from no hypothetical index."""
        self._present.clear()
        try:
            self.conn.execute("SELECT hypopg_reset()")
            self.conn.execute("DEALLOCATE ALL")
        except psycopg.Error:
            pass

    def _explain_real(self, sql: str, specs: list[IndexSpec]) -> dict:
        with self.conn.transaction(force_rollback=True):
            for spec in specs:
                self.conn.execute(create_index_sql(spec, _real_name(spec), concurrently=False))
            return explain_json(self.conn, sql, self.version)

    def _real_size(self, spec: IndexSpec) -> int:
        name = _real_name(spec)
        with self.conn.transaction(force_rollback=True):
            self.conn.execute(create_index_sql(spec, name, concurrently=False))
            return int(self.conn.execute("SELECT pg_relation_size(%s::regclass)",
                                         (name,)).fetchone()[0])


def planned_rows(whatif: WhatIf, sql: str) -> float:
    """The rows the planner expects ``sql`` to return, with no hypothetical index."""
    return float(whatif.plan(sql, [])["Plan Rows"])


class UnsupportedIndex(AdvisorError):
    """An index the what-if session cannot simulate (e.g. GIN with HypoPG 1.3)."""


def _real_name(spec: IndexSpec) -> str:
    from advisor.ddl import index_name

    return "advisor_whatif_" + index_name(spec)[3:40]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []) or []:
        yield from _nodes(child)


class _Session:
    """``with WhatIf.open(dsn) as w``: a read-only session whose hypothetical indexes end with it."""

    def __init__(self, dsn: str, kwargs: dict):
        self.dsn, self.kwargs = dsn, kwargs

    def __enter__(self) -> WhatIf:
        from advisor.db import connect

        real = self.kwargs.get("allow_real_indexes", False)
        self.conn = connect(self.dsn, readonly=not real, autocommit=True)
        try:
            return WhatIf(self.conn, **self.kwargs)
        except BaseException:
            self.conn.close()
            raise

    def __exit__(self, *exc) -> None:
        self.conn.close()
