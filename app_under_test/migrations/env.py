"""Alembic environment for ShopEase: online migrations only, URL from -x dsn / DATABASE_URL / config."""

import os

from alembic import context
from sqlalchemy import pool

from app_under_test.db import make_engine
from app_under_test.models import Base

config = context.config
target_metadata = Base.metadata


def _dsn() -> str:
    dsn = (context.get_x_argument(as_dictionary=True).get("dsn")
           or os.environ.get("DATABASE_URL")
           or config.get_main_option("sqlalchemy.url"))
    if not dsn:
        raise SystemExit("no database: pass -x dsn=postgresql://... or set DATABASE_URL")
    return dsn


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_dsn(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("ShopEase migrations run online only (use `alembic upgrade head --sql` elsewhere)")
run_migrations_online()
