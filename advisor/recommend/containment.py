"""GIN indexes for containment and key searches on jsonb, array and tsvector columns.

    >>> from advisor.model import IndexSpec
    >>> path, default = (IndexSpec("public.d", ["doc"], method="gin", opclass=o) for o in (JSONB_PATH, None))
    >>> [s.opclass for s in merged([path])[0]], [s.opclass for s in merged([path, default])[0]]
    (['jsonb_path_ops'], [None])

``doc @> '{"k": 1}'``, ``doc ? 'key'``, ``tags && ARRAY['x']``: a B-tree serves none of them, a GIN
index does. On jsonb, ``jsonb_path_ops`` (``@>``, ``@?``, ``@@``) is smaller and faster than the
default ``jsonb_ops``, which also serves the key operators ``?``, ``?|``, ``?&``: the path variant
when the workload searches the column with its operators only (``merged``). ``'x' = ANY(tags)``
is no containment search: no GIN index serves it, so none is proposed; a note says how to write
it so one does (``element_notes``).

HypoPG cannot simulate a GIN index, so these are advised like the trigram ones, uncosted: only
where the planner expects a search to keep at most ``GIN_MAX_SHARE`` of the table's rows (its
estimate for the condition alone; a ``$n`` gets the planner's default share: 0.5-1 %), with a
size estimated from pg_stats (``gin_size``) counted against the budgets.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.ddl import qualified, quote_ident
from advisor.errors import AdvisorError
from advisor.model import Catalog, IndexSpec, Predicate, QueryShape, Snapshot, StatementGain, Table
from advisor.recommend.candidates import GIN_OPS, JSONB_PATH, PATH_OPS, gin_kind

GIN_MAX_SHARE = 0.02  # a search keeping more of the rows: a bitmap scan reads most pages anyway
BYTES_PER_WIDTH = {"jsonb": 1.3, JSONB_PATH: 0.9, "array": 1.05, "tsvector": 1.5}
UNKNOWN_WIDTH = 64  # avg_width of a column without statistics
MARGIN = 1.25  # the budget counts this many times the estimate


def merged(specs: list[IndexSpec]) -> tuple[list[IndexSpec], list[tuple[IndexSpec, str]]]:
    """(one GIN index per column, [(spec, why left out)]): the default jsonb_ops where some
    statement needs it (``?``), as it serves the ``jsonb_path_ops`` searches too."""
    default = {(s.table, s.columns[0]) for s in specs if s.opclass is None}
    kept, dropped = {}, []
    for s in specs:
        if s.opclass is None or (s.table, s.columns[0]) not in default:
            kept.setdefault(s.key(), s)
        else:
            dropped.append((s, f"merged: the workload also searches {s.columns[0]} with ?, ?| or ?&, "
                               "which only the default jsonb_ops serves; that index serves these searches too"))
    return list(kept.values()), dropped


def searches(spec: IndexSpec, shapes: list[QueryShape], catalog: Catalog):
    """(fingerprint, predicate) of each search the index serves."""
    table = catalog.table(spec.table)
    if table is None:
        return
    ops = PATH_OPS if spec.opclass == JSONB_PATH else GIN_OPS.get(gin_kind(spec.columns[0], table), set())
    for shape in shapes:
        for access in shape.tables:
            if access.table == spec.table:
                for p in access.predicates:
                    if p.column == spec.columns[0] and not p.function and p.op in ops:
                        yield shape.fingerprint, p


def selective(specs: list[IndexSpec], shapes: list[QueryShape], catalog: Catalog,
              rows: Callable[[str], float]) -> tuple[dict[tuple, list[str]], list[tuple[IndexSpec, str]]]:
    """({spec key: the statements whose search keeps few rows}, [(spec, why not advised)]).

    ``rows(sql)``: the planner's estimate of the rows a statement returns."""
    found: dict[tuple, list[str]] = {}
    rejected = []
    for spec in specs:
        shares = {}
        for fingerprint, p in searches(spec, shapes, catalog):
            share = _share(spec.table, p, rows)
            if share is not None and share <= GIN_MAX_SHARE:
                found.setdefault(spec.key(), []).append(fingerprint)
            shares[_condition(p)] = share
        if spec.key() not in found:
            rejected.append((spec, _why_not(shares)))
    return found, rejected


def _share(table: str, p: Predicate, rows: Callable[[str], float]) -> float | None:
    """The share of ``table``'s rows the condition keeps, as the planner estimates it."""
    try:
        total = rows(f"SELECT 1 FROM {qualified(table)}")
        return rows(f"SELECT 1 FROM {qualified(table)} WHERE {_condition(p)}") / max(total, 1.0)
    except AdvisorError:
        return None


def _condition(p: Predicate) -> str:
    """The search alone, its value a ``$1`` where the statement has a parameter or an expression."""
    return f"{quote_ident(p.column)} {p.op} {p.value if p.value is not None else '$1'}"


def _why_not(shares: dict[str, float | None]) -> str:
    known = {c: s for c, s in shares.items() if s is not None}
    if not known:
        return "not advised: the planner could not estimate the rows its searches keep (" + \
            ", ".join(shares) + ")"
    condition, share = min(known.items(), key=lambda cs: cs[1])
    return (f"not selective: {condition} keeps ~{share:.1%} of the rows (the planner's estimate), "
            f"more than {GIN_MAX_SHARE:.0%}: a bitmap scan of a GIN index would read most of the table")


def element_notes(shapes: list[QueryShape], catalog: Catalog, min_rows: float) -> list[str]:
    """What to write instead of ``'x' = ANY(tags)`` on a table of ``min_rows`` or more, which no
    index serves (the planner tests every row's array)."""
    notes = {}
    for shape in shapes:
        for access in shape.tables:
            table = catalog.table(access.table)
            for p in access.predicates if table is not None and _rows(table) >= min_rows else []:
                if p.op == "has" and gin_kind(p.column, table) == "array":
                    value = p.value if p.value is not None else "$1"
                    notes[access.table, p.column] = (
                        f"{access.table}: {value} = ANY({p.column}) cannot use an index; written as "
                        f"{p.column} @> ARRAY[{value}] it can use a GIN index on {p.column}")
    return list(notes.values())


def gin_size(spec: IndexSpec, catalog: Catalog) -> int:
    """Estimated bytes: rows x non-null share x avg_width x ``BYTES_PER_WIDTH`` (measured on
    PostgreSQL 15 for documents and arrays of distinct values; repeated values take less).

        >>> from advisor.model import Column, ColumnStats
        >>> t = Table("public", "d", reltuples=100_000, columns=[
        ...     Column("doc", "jsonb", stats=ColumnStats(null_frac=0.5, avg_width=100))])
        >>> gin_size(IndexSpec("public.d", ["doc"], method="gin", opclass=JSONB_PATH), Catalog([t]))
        4500000
    """
    table = catalog.table(spec.table)
    column = table.column(spec.columns[0]) if table else None
    if column is None:
        return 0
    stats = column.stats
    width = stats.avg_width if stats is not None and stats.avg_width else UNKNOWN_WIDTH
    present = 1.0 - (stats.null_frac if stats is not None else 0.0)
    factor = BYTES_PER_WIDTH[spec.opclass or gin_kind(spec.columns[0], table) or "array"]
    return int(_rows(table) * present * width * factor)


def counted_size(spec: IndexSpec, catalog: Catalog) -> int:
    return int(gin_size(spec, catalog) * MARGIN)


def _rows(table: Table) -> float:
    return max(table.reltuples, float(table.n_live_tup), 0.0)


def served(snapshot: Snapshot, statements: dict[tuple, list[str]]) -> Callable[[IndexSpec], list[StatementGain]]:
    """spec -> the statements it serves, at their cost before (nothing prices the GIN index)."""
    by_fp = {s.fingerprint: s for s in snapshot.statements}

    def gains(spec: IndexSpec) -> list[StatementGain]:
        found = []
        for fingerprint in dict.fromkeys(statements.get(spec.key(), [])):
            statement = by_fp.get(fingerprint)
            if statement is not None:
                cost = float((statement.plan or {}).get("Total Cost") or 0.0)
                found.append(StatementGain(fingerprint, statement.workload_weight, cost, cost))
        return found

    return gains


def reason(spec: IndexSpec) -> str:
    kind = "jsonb_path_ops (the workload searches it with @>, @?, @@ only)" if spec.opclass == JSONB_PATH \
        else "the default operator class"
    return (f"containment/key search on {spec.columns[0]}: a B-tree cannot serve it, a GIN index "
            f"with {kind} can (not costed: HypoPG cannot simulate GIN indexes; the planner expects "
            f"each search it serves to keep at most {GIN_MAX_SHARE:.0%} of the rows; size "
            "estimated from pg_stats)")
