"""The tasks app's Alembic environment, in Flask-Migrate's place (migrations/env.py).

Flask-Migrate's own env.py takes the engine from the Flask app (``current_app``); this fixture
has no Flask, so the database comes from DATABASE_URL, as the app's config would give it.
"""

import logging
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")


def get_url() -> str:
    return os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)


def run_migrations_offline():
    context.configure(url=get_url(), target_metadata=None, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = create_engine(get_url(), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
