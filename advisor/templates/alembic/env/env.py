"""Alembic environment written by advisor: where the database is, and how to run revisions.

The database comes from ``-x dsn=...``, else ``DATABASE_URL``, else ``sqlalchemy.url`` in
alembic.ini. A libpq DSN (``postgresql://...`` or ``host=... dbname=...``) is opened with
psycopg 3; a SQLAlchemy URL naming its driver (``postgresql+psycopg2://...``) is used as is.
Each revision runs in its own transaction, so an index build's autocommit block stays its own.
The revision the database is at is kept in its own table, ``advisor_version``: an app that uses
Alembic keeps ``alembic_version`` to itself.
"""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = None
VERSION_TABLE = "advisor_version"


def database_url() -> str | None:
    return (context.get_x_argument(as_dictionary=True).get("dsn")
            or os.environ.get("DATABASE_URL")
            or config.get_main_option("sqlalchemy.url"))


def engine(url: str):
    if "+" in url.split("://", 1)[0]:
        return create_engine(url, poolclass=pool.NullPool)
    import psycopg

    return create_engine("postgresql+psycopg://", poolclass=pool.NullPool,
                          creator=lambda: psycopg.connect(url))


def run_migrations_offline() -> None:
    context.configure(dialect_name="postgresql", target_metadata=target_metadata,
                      literal_binds=True, transaction_per_migration=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = database_url()
    if not url:
        raise SystemExit("no database: pass -x dsn=postgresql://... or set DATABASE_URL")
    with engine(url).connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          transaction_per_migration=True, version_table=VERSION_TABLE)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
