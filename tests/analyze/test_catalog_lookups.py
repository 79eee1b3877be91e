"""Catalog.table and Table.column answer like a scan of their lists, as those lists change."""

from __future__ import annotations

from advisor.model import Catalog, Column, Table


def test_table_lookup_follows_appends_new_lists_and_duplicates():
    first, second = Table("public", "users"), Table("public", "users", reltuples=5.0)
    catalog = Catalog([first, second])
    assert catalog.table("public.users") is first
    assert catalog.table("public.orders") is None
    orders = Table("public", "orders")
    catalog.tables.append(orders)
    assert catalog.table("public.orders") is orders
    catalog.tables = [orders]
    assert catalog.table("public.users") is None


def test_column_lookup_follows_appends():
    table = Table("public", "users", columns=[Column("id", "int")])
    assert table.column("email") is None
    table.columns.append(Column("email", "text"))
    assert table.column("email").type == "text"
    assert table.column("id").type == "int"
