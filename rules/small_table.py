"""small-table: a sequential scan of a tiny table is fine; no index is needed.

    >>> RULE.id
    'small-table'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.model import Finding
from rules._base import Docs, Example, Rule
from rules._build import seq_scan, snapshot, stmt


def check(ctx) -> Iterable[Finding]:
    scanned: dict[str, list] = {}
    for statement in ctx.snapshot.statements:
        for evidence in ctx.evidence.get(statement.fingerprint, []):
            if evidence.kind == "seq-scan" and evidence.relation:
                table = ctx.table(evidence.relation)
                if table is not None and ctx.rows(evidence.relation) < ctx.threshold("max_rows"):
                    scanned.setdefault(evidence.relation, []).append(statement)
    for table, statements in scanned.items():
        statements = list({s.fingerprint: s for s in statements}.values())
        rows = ctx.rows(table)
        yield ctx.finding(
            f"Filtered Seq Scans on {table} ({rows:,.0f} rows) are fine: the table fits in a few pages",
            "No index needed: reading a table this small is as fast as an index lookup. "
            "Revisit if it grows.",
            table=table, statements=[s.fingerprint for s in statements],
            evidence={"table_rows": rows, **ctx.workload_evidence(statements)})


SCHEMA = "CREATE TABLE categories (id bigint PRIMARY KEY, slug text, name text);"
BAD = "SELECT * FROM categories WHERE name = $1"


def _small():
    return snapshot(SCHEMA, {"categories": 40}, [stmt(BAD, plan=seq_scan("categories", "(name = $1)", 1, 1.5))])


def _big():
    return snapshot(SCHEMA, {"categories": 40_000}, [stmt(BAD, plan=seq_scan("categories", "(name = $1)", 1, 800))])


RULE = Rule(
    id="small-table",
    name="Small table",
    severity="info",
    summary="Sequential scans of tiny tables are fine; says so, so nobody adds an index there.",
    docs=Docs(
        what="Notes filtered sequential scans of tables under the row threshold.",
        why="Not a problem: it answers the question 'should this Seq Scan get an index?' with no, "
            "because a few pages are read faster than an index descent plus heap visits.",
        example=BAD + ";  -- categories has 40 rows: Seq Scan",
        use_instead="-- nothing to change",
    ),
    check=check,
    thresholds={"max_rows": 1_000},
    examples=[
        Example("a filtered scan of a 40-row table", True, _small, "40 rows"),
        Example("the same scan of a 40,000-row table is not small", False, _big),
    ],
)
