"""Exact text of rendered revisions, in the manner of Alembic's own render tests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from advisor.emit.migrations import write_migrations
from advisor.errors import AdvisorError
from advisor.model import IndexSpec, Plan, Recommendation, StatementGain

QUERIES = {"abcd1234abcd1234": 'SELECT * FROM "order" WHERE customer_id = $1'}


def create(name: str, columns: list[str], table: str = "public.order", **spec) -> Recommendation:
    extension = spec.pop("requires_extension", None)
    return Recommendation(action="create", table=table, name=name, ddl="", benefit=118_980.0,
                          index=IndexSpec(table=table, columns=columns, **spec),
                          statements=[StatementGain("abcd1234abcd1234", 120, 1000.0, 8.5)],
                          estimated_size_bytes=123_456, requires_extension=extension)


def render(tmp_path: Path, recommendation: Recommendation) -> str:
    (path,) = write_migrations(Plan(recommendations=[recommendation]), tmp_path / "m", queries=QUERIES,
                               drops=True)
    text = path.read_text(encoding="utf-8")
    ast.parse(text)
    return re.sub(r"Create Date: .*", "Create Date: <now>", text)


def functions(text: str) -> str:
    return text[text.index("def upgrade()"):]


def test_create_whole_file(tmp_path):
    text = render(tmp_path, create("order_customer_id_idx", ["customer_id"]))
    head = text[: text.index("# CREATE/DROP INDEX CONCURRENTLY")]
    assert head == '''\
"""advisor: create order_customer_id_idx

Creates index order_customer_id_idx on public.order.
Estimated size 120.6 kB; estimated gain: weighted cost 120,000 -> 1,020 (-99.2%), benefit 118,980 net of write overhead 0.
Serves:
  abcd1234abcd1234  SELECT * FROM "order" WHERE customer_id = $1
                    120 calls, cost 1,000.0 -> 8.5 per call

Revision ID: 1ee49f37bfcb
Revises:
Create Date: <now>

"""
from alembic import context, op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '1ee49f37bfcb'
down_revision = None
branch_labels = None
depends_on = None

# What this revision does to which indexes (advisor reads it: --prune, and not writing it twice).
advisor_action = 'create'
advisor_indexes = ['order_customer_id_idx']

'''
    assert functions(text) == '''\
def upgrade() -> None:
    with op.get_context().autocommit_block():
        _set_timeouts()
        if _build_needed('public', 'order_customer_id_idx', 'order', ['customer_id']):
            op.create_index(
                'order_customer_id_idx',
                'order',
                ['customer_id'],
                schema='public',
                postgresql_concurrently=True,
            )
        _reset_timeouts()


def downgrade() -> None:
    with op.get_context().autocommit_block():
        _set_timeouts()
        op.drop_index('order_customer_id_idx', schema='public', postgresql_concurrently=True, if_exists=True)
        _reset_timeouts()
'''
    assert "SET lock_timeout" in text and 'op.execute("SET statement_timeout = 0")' in text


def test_partial_with_include(tmp_path):
    text = render(tmp_path, create("order_open_customer_idx", ["customer_id"], include=["total", "Weird \"Col\""],
                                   where="status = 'open' AND note <> 'a :b'"))
    assert functions(text).split("def downgrade")[0] == '''\
def upgrade() -> None:
    with op.get_context().autocommit_block():
        _set_timeouts()
        if _build_needed('public', 'order_open_customer_idx', 'order', ['customer_id'], partial=True):
            op.create_index(
                'order_open_customer_idx',
                'order',
                ['customer_id'],
                schema='public',
                postgresql_include=['total', 'Weird "Col"'],
                postgresql_where=sa.text("status = 'open' AND note <> 'a \\\\:b'"),
                postgresql_concurrently=True,
            )
        _reset_timeouts()


'''


def test_expression_index(tmp_path):
    text = render(tmp_path, create("users_lower_email_idx", ["lower(email)", "created_at::date DESC"],
                                   table="app.users"))
    assert functions(text).split("def downgrade")[0] == '''\
def upgrade() -> None:
    with op.get_context().autocommit_block():
        _set_timeouts()
        if _build_needed('app', 'users_lower_email_idx', 'users', [None, None]):
            op.create_index(
                'users_lower_email_idx',
                'users',
                [sa.text('(lower(email))'), sa.text('(created_at::date) DESC')],
                schema='app',
                postgresql_concurrently=True,
            )
        _reset_timeouts()


'''


def test_trigram_gin(tmp_path):
    text = render(tmp_path, create("product_name_trgm_idx", ["name"], table="public.product", method="gin",
                                   opclass="gin_trgm_ops", requires_extension="pg_trgm"))
    assert functions(text).split("def downgrade")[0] == '''\
def upgrade() -> None:
    with op.get_context().autocommit_block():
        _set_timeouts()
        # pg_trgm provides the operator class; needs CREATE privilege.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        if _build_needed('public', 'product_name_trgm_idx', 'product', ['name'], method='gin'):
            op.create_index(
                'product_name_trgm_idx',
                'product',
                ['name'],
                schema='public',
                postgresql_using='gin',
                postgresql_ops={'name': 'gin_trgm_ops'},
                postgresql_concurrently=True,
            )
        _reset_timeouts()


'''


def test_drop(tmp_path):
    definition = "CREATE INDEX order_status_old ON public.\"order\" USING btree (status) WHERE (note = 'x :y')"
    text = render(tmp_path, Recommendation(
        action="drop", table="public.order", name="order_status_old", ddl="",
        reason="redundant: order_status_open_idx has the same leading column",
        risk="queries move to order_status_open_idx",
        evidence={"idx_scan": 0, "since": "2026-11-01T00:00:00+00:00", "definition": definition,
                  "columns": ["status"]}))
    assert 'Drops index order_status_old on public.order.\nWhy: redundant' in text
    assert "Downgrade recreates it: CREATE INDEX order_status_old" in text
    assert functions(text) == '''\
def upgrade() -> None:
    with op.get_context().autocommit_block():
        _set_timeouts()
        # Why: redundant: order_status_open_idx has the same leading column
        # Risk: queries move to order_status_open_idx
        # idx_scan: 0
        # since: 2026-11-01T00:00:00+00:00
        # columns: ['status']
        op.drop_index('order_status_old', schema='public', postgresql_concurrently=True, if_exists=True)
        _reset_timeouts()


def downgrade() -> None:
    with op.get_context().autocommit_block():
        _set_timeouts()
        if _build_needed('public', 'order_status_old', 'order', ['status'], partial=True):
            op.execute(sa.text('CREATE INDEX CONCURRENTLY order_status_old ON public."order" USING btree (status) WHERE (note = \\'x \\\\:y\\')'))
        _reset_timeouts()
'''


def test_hostile_names_stay_python_literals(tmp_path):
    name = 'x"""\\\'; DROP TABLE t; --'
    text = render(tmp_path, create(name, ['Weird "Col"'], table='public.Weird """Name'))
    module = ast.parse(text)
    assert ast.get_docstring(module).startswith(f"advisor: create {name}")
    assert f"    {name!r},\n" in text


def test_names_over_63_bytes_are_refused(tmp_path):
    name = "ü" * 32  # 32 characters, 64 bytes: PostgreSQL would truncate it
    with pytest.raises(AdvisorError, match="longer than 63 bytes"):
        write_migrations(Plan(recommendations=[create(name, ["a"])]), tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_a_second_run_does_not_write_the_same_index_twice(tmp_path):
    plan = Plan(recommendations=[create("order_customer_id_idx", ["customer_id"]), create("order_total_idx", ["total"])])
    first = write_migrations(Plan(recommendations=plan.recommendations[:1]), tmp_path / "m")
    second = write_migrations(plan, tmp_path / "m")
    assert len(first) == 1 and len(second) == 1 and "order_total_idx" in second[0].read_text()
    assert write_migrations(plan, tmp_path / "m") == []
