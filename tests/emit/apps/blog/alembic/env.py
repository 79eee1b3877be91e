"""The blog's Alembic environment: the database from -x dsn=..., else DATABASE_URL."""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def url() -> str:
    dsn = context.get_x_argument(as_dictionary=True).get("dsn") or os.environ["DATABASE_URL"]
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


if context.is_offline_mode():
    context.configure(url=url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    with create_engine(url(), poolclass=pool.NullPool).connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
