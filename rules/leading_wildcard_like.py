"""leading-wildcard-like: LIKE '%term%' or ILIKE cannot use a btree index; a trigram index can.

    >>> RULE.id
    'leading-wildcard-like'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.ddl import qualified
from advisor.model import Finding, Predicate
from rules._base import Docs, Example, Rule
from rules._build import seq_scan, snapshot, stmt, trace
from rules._common import ddl_columns

EXTENSION = "pg_trgm"


def check(ctx) -> Iterable[Finding]:
    groups: dict[tuple[str, str], list] = {}
    for statement, shape in ctx.statements():
        for access in shape.tables:
            if ctx.rows(access.table) < ctx.threshold("min_table_rows"):
                continue
            for predicate in access.predicates:
                confidence = _confidence(ctx, statement, predicate)
                if confidence and not _trigram_index(ctx, access.table, predicate.column):
                    groups.setdefault((access.table, predicate.column), []).append(
                        (statement, predicate, confidence))
    for (table, column), hits in groups.items():
        yield _finding(ctx, table, column, hits)


def _confidence(ctx, statement, predicate: Predicate) -> str | None:
    """high: the pattern starts with a wildcard (or is an unanchored regex); "traced": a parameter
    the traces show starting with one; low: a pattern parameter nothing shows. A constant without
    a leading wildcard ('abc%', or ILIKE 'abc') is no case for a trigram index."""
    if predicate.op not in ("like", "ilike", "~"):
        return None
    if predicate.leading_wildcard:
        return "high"
    if predicate.value is None and any(v[:1] in ("%", "_") for v in ctx.observed(statement, predicate)):
        return "traced"  # the traces show a pattern like '%term%'
    if predicate.op == "~" and predicate.value is not None:
        return None if predicate.value.strip("'").startswith("^") else "high"
    return "low" if predicate.value is None else None


def _trigram_index(ctx, table: str, column: str) -> bool:
    for index in ctx.catalog.indexes_on(table):
        if index.method in ("gin", "gist") and "trgm" in index.definition and column in index.definition:
            return True
    return False


def _finding(ctx, table: str, column: str, hits: list) -> Finding:
    statements = list({s.fingerprint: s for s, _, _ in hits}.values())
    ops = sorted({p.op.upper() for _, p, _ in hits})
    confidence = "low" if all(c == "low" for _, _, c in hits) else "high"
    create = f"CREATE INDEX CONCURRENTLY ON {qualified(table)} USING gin ({ddl_columns([column])} gin_trgm_ops)"
    if EXTENSION in ctx.catalog.extensions:
        help, available = f"Create a trigram index: {create}.", "installed"
    elif EXTENSION in ctx.catalog.available_extensions:
        help = f"Install pg_trgm (CREATE EXTENSION pg_trgm; needs CREATE privilege), then: {create}."
        available = "available, not installed"
    else:
        help = ("No index can serve this here: pg_trgm is not available on this server, so a "
                "trigram index cannot be built. Search a prefix instead (LIKE 'term%' with a "
                "text_pattern_ops index) or use full-text search (tsvector + GIN).")
        available = "unavailable"
    leading = any(p.leading_wildcard or c == "traced" for _, p, c in hits)
    pattern = "a leading wildcard" if leading else "a pattern parameter"
    return ctx.finding(
        f"{' / '.join(ops)} with {pattern} on {table}.{column} ({ctx.rows(table):,.0f} rows) cannot "
        f"use a btree index: every call reads the whole table",
        help, table=table, statements=[s.fingerprint for s in statements], confidence=confidence,
        evidence={"column": column, "operators": ops, "pg_trgm": available,
                  **ctx.workload_evidence(statements)})


SCHEMA = """
CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, sku text NOT NULL);
CREATE INDEX ix_products_name ON products (name);
"""
ROWS = {"products": 50_000}
BAD = "SELECT * FROM products WHERE name ILIKE '%' || $1 || '%' LIMIT 20"
PARAM = "SELECT * FROM products WHERE name LIKE $1"


def _bad():
    return snapshot(SCHEMA, ROWS, [stmt(BAD, plan=seq_scan("products", "(name ~~* ...)", 100))],
                    extensions={"pg_trgm": "1.6"})


def _bad_no_extension():
    return snapshot(SCHEMA, ROWS, [stmt(BAD)], available=[])


def _bad_traced_param():
    return snapshot(SCHEMA, ROWS, [stmt(PARAM)], traces=[trace("GET /search", [(PARAM, ["%lamp%"])])])


def _good_trigram():
    return snapshot(SCHEMA + "CREATE INDEX ix_products_name_trgm ON products USING gin (name gin_trgm_ops);",
                    ROWS, [stmt(BAD)], extensions={"pg_trgm": "1.6"})


def _good_prefix():
    return snapshot(SCHEMA, ROWS, [stmt("SELECT * FROM products WHERE sku LIKE 'AB-12%'")])


def _good_no_wildcard():
    return snapshot(SCHEMA, ROWS, [stmt("SELECT * FROM products WHERE name ILIKE 'lamp'")],
                    extensions={"pg_trgm": "1.6"})


RULE = Rule(
    id="leading-wildcard-like",
    name="Leading-wildcard LIKE",
    severity="medium",
    summary="LIKE '%term%' and ILIKE cannot use a btree index; a pg_trgm GIN index can (or say why not).",
    docs=Docs(
        what="Finds LIKE/ILIKE/regex filters on big tables whose pattern starts with a wildcard "
             "(or is a parameter the traces show starting with one, or an unanchored regex), with no trigram "
             "index on the column. It suggests a pg_trgm GIN index, or says why none can be built "
             "when the extension is not available on the server.",
        why="A btree index can only find a known prefix. '%lamp%' has none, so every search reads "
            "and pattern-matches every row of the table.",
        example=BAD,
        use_instead="CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
                    "CREATE INDEX CONCURRENTLY ON products USING gin (name gin_trgm_ops);",
    ),
    check=check,
    thresholds={"min_table_rows": 1_000},
    examples=[
        Example("ILIKE '%term%' with pg_trgm installed", True, _bad, "gin_trgm_ops"),
        Example("pg_trgm unavailable: say why no index", True, _bad_no_extension, "leading wildcard"),
        Example("a LIKE parameter the traces show starting with %", True, _bad_traced_param, "LIKE"),
        Example("a trigram index already serves it", False, _good_trigram),
        Example("a prefix search can use the btree index", False, _good_prefix),
        Example("ILIKE without a wildcard: no pattern search to serve", False, _good_no_wildcard),
    ],
)
