"""Shape extraction against fixture pairs (sqlglot style), and the TPC-H queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.analyze.ddl import catalog_from_ddl
from advisor.analyze.shapes import describe_shape, extract_shape
from advisor.model import Catalog

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures/shapes"
TPCH = Path("/work/shared/benchmarks/tpch")
if not TPCH.is_dir():
    TPCH = ROOT.parent / "shared/benchmarks/tpch"


def load_pairs(path: Path) -> list[tuple[str, str]]:
    """Blocks separated by blank lines: the statement, then its expected shape on the last line."""
    pairs = []
    for block in path.read_text().split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("--")]
        if lines:
            pairs.append(("\n".join(lines[:-1]).rstrip(";"), lines[-1].rstrip(";")))
    return pairs


CATALOG = catalog_from_ddl((FIXTURES / "schema.sql").read_text())
PAIRS = load_pairs(FIXTURES / "extract_shape.sql")


def test_fixture_has_many_pairs():
    assert len(PAIRS) >= 40


@pytest.mark.parametrize("sql,expected", PAIRS, ids=[p[0][:60] for p in PAIRS])
def test_extract_shape(sql, expected):
    described = describe_shape(extract_shape(sql, CATALOG))
    if expected == "error":
        assert described.startswith("error: ")
    else:
        assert described == expected


def test_columns_used_and_function_fields():
    shape = extract_shape("SELECT u.id, u.email FROM users u WHERE lower(u.email) = $1", CATALOG)
    (access,) = shape.tables
    assert sorted(access.columns_used) == ["email", "id"]
    predicate = access.predicates[0]
    assert (predicate.column, predicate.function, predicate.value) == ("lower(email)", "lower", None)
    star = extract_shape("SELECT * FROM sellers WHERE id = 1", CATALOG).tables[0]
    assert star.columns_used == ["id", "user_id", "name", "rating"]


def test_unknown_catalog_still_gives_tables():
    shape = extract_shape("SELECT * FROM a JOIN b ON a.x = b.y WHERE a.z = 1", Catalog())
    assert describe_shape(shape) == "select | public.a: where z = 1; join x | public.b: join y"


def test_ambiguous_unqualified_column_is_left_out():
    shape = extract_shape("SELECT * FROM orders, users WHERE created_at > $1", CATALOG)
    assert all(not a.predicates for a in shape.tables)


def test_fingerprint_is_kept_and_errors_never_raise():
    assert extract_shape("SELECT 1", CATALOG, "abc").fingerprint == "abc"
    for bad in ["", ";", "SELECT (((", "SELECT 'unterminated", "\x00", "SELECT " + "(" * 5000 + "1"]:
        shape = extract_shape(bad, CATALOG)
        assert shape.parse_error or shape.kind


# -- TPC-H: the recommend stage builds candidates from these -------------------------------------

TPCH_CATALOG = catalog_from_ddl((TPCH / "schema.sql").read_text()) if TPCH.is_dir() else None
TPCH_QUERIES = sorted((TPCH / "queries").glob("q*.sql")) if TPCH.is_dir() else []


def tpch(name: str):
    return extract_shape((TPCH / "queries" / f"{name}.sql").read_text(), TPCH_CATALOG)


@pytest.mark.skipif(not TPCH_QUERIES, reason="TPC-H queries not found")
@pytest.mark.parametrize("path", TPCH_QUERIES, ids=lambda p: p.stem)
def test_tpch_queries_parse_with_every_table_known(path):
    shape = extract_shape(path.read_text(), TPCH_CATALOG)
    assert shape.parse_error is None and shape.kind == "select"
    assert shape.tables and all(TPCH_CATALOG.table(a.table) for a in shape.tables)
    assert any(a.predicates or a.join_columns for a in shape.tables)


@pytest.mark.skipif(not TPCH_QUERIES, reason="TPC-H queries not found")
def test_tpch_shapes_are_sensible():
    q21 = tpch("q21")
    lineitems = [a for a in q21.tables if a.table == "public.lineitem"]
    assert sorted(a.alias for a in lineitems) == ["l1", "l2", "l3"]  # correlated EXISTS / NOT EXISTS
    assert all("l_orderkey" in a.join_columns for a in lineitems)
    assert q21.access("public.nation").predicates[0].value == "'PERU'"
    assert q21.has_limit and q21.limit == 100
    q15 = tpch("q15")  # the CTE: its columns reach lineitem through supplier_no
    lineitem = q15.access("public.lineitem")
    assert [p.op for p in lineitem.predicates] == [">=", "<"]  # date arithmetic stays a constant
    assert "INTERVAL" in lineitem.predicates[1].value
    assert "l_suppkey" in lineitem.join_columns and "s_suppkey" in q15.access("public.supplier").join_columns
    q04 = tpch("q04")  # EXISTS
    assert q04.access("public.lineitem").join_columns == ["l_orderkey"]
    assert {p.column for p in q04.access("public.orders").predicates} == {"o_orderdate"}
    q22 = tpch("q22")  # NOT EXISTS and a scalar subquery comparison
    assert q22.access("public.orders").join_columns == ["o_custkey"]
    assert any(p.function == "substring" for a in q22.tables for p in a.predicates)
    q19 = tpch("q19")  # an OR of ANDs: the join and predicates common to every branch
    assert q19.access("public.part").join_columns == ["p_partkey"]
    assert {p.column for p in q19.access("public.lineitem").predicates} == {"l_shipmode", "l_shipinstruct"}
    q18 = tpch("q18")
    assert any(p.op == "in" for p in q18.access("public.orders").predicates)
