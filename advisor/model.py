"""The data model that travels through the stages: Snapshot -> Findings -> Plan.

Every class is a plain dataclass with a JSON round-trip:

    >>> s = Snapshot(database="shop", statements=[Statement(query="SELECT 1", calls=3)])
    >>> Snapshot.from_json(s.to_json()) == s
    True

Identifiers: tables are named ``schema.table`` (``Table.qualname``); a statement is named by its
``fingerprint`` (stable across servers and statistics resets, see ``advisor.fingerprint``).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from advisor.errors import AdvisorError

FORMAT = "advisor-snapshot"
FORMAT_VERSION = 1


class Serializable:
    """JSON round-trip for nested dataclasses (lists, dicts, optionals of them)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: _load(hints[k], v) for k, v in data.items() if k in known})


def _dump(value: Any) -> Any:
    if isinstance(value, Serializable):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def _load(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _load(args[0], value) if len(args) == 1 else value
    if origin is list:
        (inner,) = typing.get_args(hint) or (Any,)
        return [_load(inner, v) for v in value]
    if origin is dict:
        _, inner = typing.get_args(hint) or (str, Any)
        return {k: _load(inner, v) for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, Serializable):
        return hint.from_dict(value)
    return value


# ---------------------------------------------------------------------------------------------
# Snapshot: what capture reads from a database (and its log)
# ---------------------------------------------------------------------------------------------


@dataclass
class Statement(Serializable):
    """One normalised statement of the workload (a pg_stat_statements row, a log line, a file)."""

    query: str
    fingerprint: str = ""
    queryid: str | None = None  # pg_stat_statements queryid as text (int64 does not fit JSON)
    source: str = "pg_stat_statements"  # or "log", "file", "trace"
    calls: int = 0
    total_time_ms: float = 0.0
    mean_time_ms: float = 0.0
    stddev_time_ms: float = 0.0
    total_plan_time_ms: float | None = None
    rows: int = 0
    shared_blks_hit: int = 0
    shared_blks_read: int = 0
    shared_blks_dirtied: int = 0
    shared_blks_written: int = 0
    local_blks_hit: int = 0
    local_blks_read: int = 0
    temp_blks_read: int = 0
    temp_blks_written: int = 0
    weight: float = 1.0  # for SQL-file workloads: the `-- weight: N` comment
    plan: dict | None = None  # EXPLAIN (FORMAT JSON) [0]["Plan"] of the generic plan
    plan_error: str | None = None  # why no plan: utility statement, error text, lock timeout
    analyze_plan: dict | None = None  # EXPLAIN (ANALYZE, BUFFERS) when --analyze-plans

    def __post_init__(self):
        if not self.fingerprint:
            from advisor.fingerprint import fingerprint

            self.fingerprint = fingerprint(self.query)

    @property
    def id(self) -> str:
        return self.fingerprint

    @property
    def workload_weight(self) -> float:
        """How much this statement counts in the workload: its calls, or its file weight."""
        return float(self.calls) if self.calls else float(self.weight)


@dataclass
class ColumnStats(Serializable):
    """pg_stats for one column (values as text)."""

    null_frac: float = 0.0
    n_distinct: float = 0.0  # negative: a fraction of the rows, as in pg_stats
    most_common_vals: list[str] | None = None
    most_common_freqs: list[float] | None = None
    correlation: float | None = None
    avg_width: int | None = None


@dataclass
class Column(Serializable):
    name: str
    type: str
    not_null: bool = False
    stats: ColumnStats | None = None


@dataclass
class Table(Serializable):
    schema: str
    name: str
    columns: list[Column] = field(default_factory=list)
    reltuples: float = 0.0
    relpages: int = 0
    relallvisible: int | None = None  # pages all-visible (index-only scans skip the heap); None: not captured
    size_bytes: int = 0
    n_live_tup: int = 0
    n_tup_ins: int = 0
    n_tup_upd: int = 0
    n_tup_del: int = 0
    seq_scan: int = 0
    idx_scan: int = 0
    kind: str = "table"  # "table", "partitioned" (a parent: no rows of its own), "matview"
    partition_of: str | None = None  # the parent's qualname, for a partition
    analyzed: bool = True  # False: never analysed, reltuples is the planner's own estimate

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column | None:
        return _first(self, "_columns_by_name", self.columns, "name", name)


def _first(owner: Any, memo: str, items: list, attribute: str, value: str) -> Any:
    """The first of ``items`` whose ``attribute`` is ``value``, through a dict kept on ``owner``
    (rules ask thousands of times). It is built again when ``items`` is another list or has
    another length: catalogs grow by appending, and names are not edited in place."""
    known = owner.__dict__.get(memo)
    if known is None or known[0] is not items or known[1] != len(items):
        index: dict = {}
        for item in items:
            index.setdefault(getattr(item, attribute), item)
        known = owner.__dict__[memo] = (items, len(items), index)
    return known[2].get(value)


@dataclass
class Index(Serializable):
    schema: str
    name: str
    table: str  # qualname of the table
    definition: str  # pg_get_indexdef
    columns: list[str] = field(default_factory=list)  # key columns; expressions as SQL text
    include: list[str] = field(default_factory=list)
    method: str = "btree"
    predicate: str | None = None  # partial index WHERE, as SQL text
    is_unique: bool = False
    is_primary: bool = False
    is_valid: bool = True
    is_ready: bool = True
    constraint: str | None = None  # name of the constraint it backs (pk, unique, exclusion)
    size_bytes: int = 0
    idx_scan: int = 0

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class ForeignKey(Serializable):
    name: str
    table: str  # qualname
    columns: list[str]
    ref_table: str  # qualname
    ref_columns: list[str]


@dataclass
class Catalog(Serializable):
    tables: list[Table] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)  # installed: name -> version
    available_extensions: list[str] = field(default_factory=list)
    stats_reset: str | None = None  # pg_stat_database.stats_reset (ISO 8601)
    pgss_stats_reset: str | None = None  # pg_stat_statements_info.stats_reset (PG14+)
    server_started: str | None = None  # pg_postmaster_start_time() (ISO 8601)
    # "schema.name" of every relation in the user schemas (tables, indexes, sequences, views...):
    # a new index's name must be none of them. None in snapshots taken before it was captured.
    relation_names: list[str] | None = None

    def table(self, qualname: str) -> Table | None:
        return _first(self, "_tables_by_qualname", self.tables, "qualname", qualname)

    def find_table(self, name: str, search_path: tuple[str, ...] = ("public",)) -> Table | None:
        """A table by bare or qualified name, the way PostgreSQL resolves it."""
        if "." in name:
            return self.table(name)
        for schema in search_path:
            found = self.table(f"{schema}.{name}")
            if found:
                return found
        return None

    def indexes_on(self, qualname: str) -> list[Index]:
        return [i for i in self.indexes if i.table == qualname]

    def taken_names(self) -> set[str]:
        """``schema.name`` of every relation: index names share the namespace with tables."""
        known = {t.qualname for t in self.tables} | {i.qualname for i in self.indexes}
        return known | set(self.relation_names or ())

    def partitions(self, qualname: str) -> list[Table]:
        """The direct partitions of a partitioned table."""
        return [t for t in self.tables if t.partition_of == qualname]

    def ancestors(self, qualname: str) -> list[str]:
        """The partitioned tables ``qualname`` is a partition of, nearest first."""
        found: list[str] = []
        table = self.table(qualname)
        while table is not None and table.partition_of and table.partition_of not in found:
            found.append(table.partition_of)
            table = self.table(table.partition_of)
        return found


@dataclass
class OrmLoad(Serializable):
    """What the SQLAlchemy ORM loaded with one statement (the app hook records it).

    ``path`` runs from the entity a query loaded to the relationship this statement loads:
    ``["Order.items", "OrderItem.product"]`` for an order line's product, lazily loaded from the
    lines of orders a query returned. ``collections`` says, per step, whether it is a collection.
    """

    entities: list[str] = field(default_factory=list)  # mapped classes it returns, e.g. ["Order"]
    relationship: str | None = None  # "OrderItem.product" when it loads a relationship
    lazy: bool = False  # a lazy load (an attribute touched), not an eager loader's query
    path: list[str] = field(default_factory=list)
    collections: list[bool] = field(default_factory=list)


@dataclass
class TraceEvent(Serializable):
    """One statement executed within a request or transaction."""

    query: str  # as executed, or normalised; fingerprint ties it to a Statement
    fingerprint: str = ""
    duration_ms: float = 0.0
    offset_ms: float = 0.0  # since the start of its trace
    params: list[str] | None = None
    call_site: str | None = None  # "path/to/file.py:42 in function" for app-side traces
    orm: OrmLoad | None = None  # what the ORM loaded with it (app hook; see Trace.orm_hooked)

    def __post_init__(self):
        if not self.fingerprint:
            from advisor.fingerprint import fingerprint

            self.fingerprint = fingerprint(self.query)


@dataclass
class Trace(Serializable):
    """Statements grouped by request (app hook) or by session/transaction (server log)."""

    id: str
    source: str  # "log" or "app"
    label: str | None = None  # the request's name, e.g. the endpoint
    events: list[TraceEvent] = field(default_factory=list)
    orm_hooked: bool = False  # the hook watched the ORM: an event without ``orm`` is no ORM load


@dataclass
class Snapshot(Serializable):
    """Everything the later stages need, taken from one database at one time."""

    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    created_at: str = ""
    database: str = ""
    server_version: str = ""
    server_version_num: int = 0
    settings: dict[str, str] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    catalog: Catalog = field(default_factory=Catalog)
    traces: list[Trace] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what capture skipped and why
    # [from, to] (ISO 8601, the server's log_timezone read as UTC: only the span counts) of the
    # server log records that statements with source "log" were timed over
    log_window: list[str] | None = None

    def statement(self, fingerprint: str) -> Statement | None:
        return next((s for s in self.statements if s.fingerprint == fingerprint), None)

    def timed_window(self) -> tuple[str | None, str | None]:
        """(from, to) of what the measured times cover: from pg_stat_statements' reset (else the
        database's statistics reset) to the capture; the server log's span when every measured
        time is the log's."""
        if self.log_window and not any(s.total_time_ms for s in self.statements if s.source != "log"):
            return self.log_window[0], self.log_window[1]
        return self.catalog.pgss_stats_reset or self.catalog.stats_reset, self.created_at or None

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AdvisorError(f"not a snapshot: invalid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise AdvisorError("not a snapshot: the file is JSON but not an advisor snapshot")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise AdvisorError(
                f"snapshot format version {version} is newer than this advisor reads "
                f"({FORMAT_VERSION}); upgrade advisor"
            )
        try:
            return cls.from_dict(data)
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            raise AdvisorError(f"corrupt snapshot: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Query shapes: what analyze extracts from each statement with sqlglot
# ---------------------------------------------------------------------------------------------


@dataclass
class Predicate(Serializable):
    """A condition on one column (or expression) of one table.

    ``op``: "=", "<", ">", "<=", ">=", "<>", "in", "any" (``col = ANY($1)``), "has" (``$1 =
    ANY(col)``), "is null", "is not null", "like", "ilike", "between", and the containment
    operators "@>", "<@", "&&", "?", "?|", "?&", "@?", "@@". ``value`` is the constant's SQL
    text, or None for a parameter.
    """

    column: str  # column name, or the expression's SQL text when ``function`` is set
    op: str
    value: str | None = None
    function: str | None = None  # e.g. "lower" for lower(email) = $1
    leading_wildcard: bool = False  # LIKE '%...'
    param: int | None = None  # n of the $n parameter the column is compared with (traces give its values)


@dataclass
class OrderItem(Serializable):
    column: str
    desc: bool = False
    nulls_first: bool | None = None


@dataclass
class TableAccess(Serializable):
    """How one statement uses one table."""

    table: str  # qualname
    alias: str | None = None
    predicates: list[Predicate] = field(default_factory=list)
    join_columns: list[str] = field(default_factory=list)  # columns equated to another table's
    order_by: list[OrderItem] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    columns_used: list[str] = field(default_factory=list)  # every column read (for INCLUDE)
    any_of: list[list[Predicate]] = field(default_factory=list)  # an OR across columns: one per branch


@dataclass
class QueryShape(Serializable):
    fingerprint: str
    kind: str  # select, insert, update, delete, utility, other
    tables: list[TableAccess] = field(default_factory=list)
    limit: int | None = None  # None when absent or a parameter
    has_limit: bool = False
    offset: int | None = None
    parse_error: str | None = None

    def access(self, table: str) -> TableAccess | None:
        return next((t for t in self.tables if t.table == table), None)


# ---------------------------------------------------------------------------------------------
# Findings and the plan of recommendations
# ---------------------------------------------------------------------------------------------

SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass
class Finding(Serializable):
    """One rule hit. ``message`` states the problem; ``help`` the action."""

    rule: str  # rule id, e.g. "missing-index"
    severity: str
    message: str
    help: str = ""
    table: str | None = None
    statements: list[str] = field(default_factory=list)  # fingerprints
    evidence: dict[str, Any] = field(default_factory=dict)
    confidence: str = "high"  # "low" for heuristics without a trace


@dataclass
class IndexSpec(Serializable):
    """An index to create, independent of its name.

    ``columns`` are key columns or expressions as SQL text (``lower(email)``), optionally
    followed by `` DESC``; ``opclass`` applies to every key (``gin_trgm_ops``).
    """

    table: str  # qualname
    columns: list[str]
    method: str = "btree"
    include: list[str] = field(default_factory=list)
    where: str | None = None
    opclass: str | None = None
    unique: bool = False

    def key(self) -> tuple:
        """Its identity; kept once computed, since selection asks it millions of times (a spec
        is never changed in place: variants are new specs)."""
        try:
            return self.__dict__["_key"]
        except KeyError:
            key = self.__dict__["_key"] = (self.table, tuple(self.columns), self.method,
                                           tuple(self.include), self.where, self.opclass)
            return key


@dataclass
class StatementGain(Serializable):
    statement: str  # fingerprint
    calls: float
    cost_before: float
    cost_after: float


@dataclass
class PartitionIndex(Serializable):
    """One step of building an index on a partitioned table: the index on one partition.

    ``only``: the partition is partitioned itself, so its index is made ``ON ONLY`` it and its own
    partitions' indexes are attached to it (they come before it in the list).
    """

    table: str  # qualname of the partition
    name: str  # the index on it (in the partition's schema)
    attach_to: str  # qualname of the index it is attached to (on the partition's parent)
    only: bool = False


@dataclass
class Recommendation(Serializable):
    action: str  # "create" or "drop"
    table: str
    name: str  # index name (new: generated, < 63 bytes; drop: existing)
    ddl: str
    index: IndexSpec | None = None  # for create
    estimated_size_bytes: int = 0
    statements: list[StatementGain] = field(default_factory=list)
    benefit: float = 0.0  # sum of (cost_before - cost_after) * calls, net of write overhead
    write_overhead: float = 0.0
    reason: str = ""  # why: the finding it answers; for drops, the evidence
    evidence: dict[str, Any] = field(default_factory=dict)
    requires_extension: str | None = None  # e.g. "pg_trgm"
    risk: str = ""  # for drops: what dropping it risks, in words
    # for creates on a partitioned table: the index on each partition, children before parents
    partitions: list[PartitionIndex] = field(default_factory=list)


@dataclass
class Rejected(Serializable):
    index: IndexSpec
    reason: str  # "too little gain: 3% < 10%", "covered by ...", "over budget", "write cost"
    benefit: float = 0.0


@dataclass
class Kept(Serializable):
    """An existing index a finding calls unused or redundant, kept: why dropping it is not advised."""

    index: str  # qualname
    rule: str
    reason: str


@dataclass
class Plan(Serializable):
    recommendations: list[Recommendation] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    cost_before: float = 0.0  # weighted workload cost, no new index
    cost_after: float = 0.0  # with the chosen creates (hypothetical)
    explain_calls: int = 0
    notes: list[str] = field(default_factory=list)  # e.g. "HypoPG missing: ..."


@dataclass
class Analysis(Serializable):
    """What `advisor analyze` produces: the document behind --format json."""

    snapshot_summary: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    shapes: list[QueryShape] = field(default_factory=list)
    unparsed: list[dict[str, str]] = field(default_factory=list)  # {statement, reason}
    plan: Plan | None = None
