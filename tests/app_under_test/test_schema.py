"""ShopEase's Alembic history builds exactly what the models declare: the "before" schema."""

from __future__ import annotations

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app_under_test import schema
from app_under_test.db import make_engine, sqlalchemy_url
from app_under_test.models import TABLES, Base

TEAM_INDEXES = {
    "ix_users_email": "CREATE UNIQUE INDEX ix_users_email ON public.users USING btree (email)",
    "ix_users_created_at": "CREATE INDEX ix_users_created_at ON public.users USING btree (created_at)",
    "ix_products_status": "CREATE INDEX ix_products_status ON public.products USING btree (status)",
    "ix_products_status_price":
        "CREATE INDEX ix_products_status_price ON public.products USING btree (status, price)",
    "ix_products_name": "CREATE INDEX ix_products_name ON public.products USING btree (name)",
    "ix_products_created_at":
        "CREATE INDEX ix_products_created_at ON public.products USING btree (created_at)",
    "ix_products_price": "CREATE INDEX ix_products_price ON public.products USING btree (price)",
}


def test_migrations_match_the_models(fresh_db):
    schema.upgrade(fresh_db, schema.INITIAL_REVISION)
    engine = make_engine(fresh_db)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_before_state_has_the_team_indexes_and_no_foreign_key_index(fresh_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the history is found from any working directory
    schema.upgrade(fresh_db, schema.INITIAL_REVISION)
    with psycopg.connect(fresh_db) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' AND indexname NOT LIKE 'pk_%' "
            "AND indexname <> 'uq_categories_slug'").fetchall()
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert dict(rows) == TEAM_INDEXES
    assert tables == {*TABLES, "alembic_version"}
    assert version == schema.INITIAL_REVISION


REVISION = '''
from alembic import op

revision = "9000_extra"
down_revision = "0001_initial"


def upgrade():
    op.create_index("ix_extra_cart_items_cart_id", "cart_items", ["cart_id"])


def downgrade():
    op.drop_index("ix_extra_cart_items_cart_id", table_name="cart_items")
'''


def test_revisions_elsewhere_chain_on_the_history(fresh_db, tmp_path):
    (tmp_path / "9000_extra.py").write_text(REVISION)
    schema.upgrade(fresh_db, extra_versions=[tmp_path])
    script = ScriptDirectory.from_config(schema.alembic_config(fresh_db, [tmp_path]))
    assert script.get_current_head() == "9000_extra"
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT to_regclass('ix_extra_cart_items_cart_id')").fetchone()[0]
    schema.downgrade(fresh_db, schema.INITIAL_REVISION, extra_versions=[tmp_path])


def test_downgrade_removes_the_tables(fresh_db):
    schema.upgrade(fresh_db)
    schema.downgrade(fresh_db, "base")
    with psycopg.connect(fresh_db) as conn:
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                            "AND tablename <> 'alembic_version'").fetchone()[0]
    assert left == 0


def test_sqlalchemy_url_uses_psycopg3():
    assert sqlalchemy_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert sqlalchemy_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
