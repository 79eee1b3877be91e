"""Bring a database to ShopEase's schema with its own Alembic history.

    >>> from app_under_test import schema
    >>> schema.upgrade("postgresql://postgres@127.0.0.1:5432/shop")   # doctest: +SKIP
    >>> schema.alembic_config("postgresql://postgres@127.0.0.1:5432/shop").get_main_option("script_location")  # doctest: +SKIP

Later revisions (e.g. the advisor's generated index migrations) chain on the current head in the same
``migrations/versions`` directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent
INI = HERE / "alembic.ini"
VERSIONS = HERE / "migrations" / "versions"
INITIAL_REVISION = "0001_initial"


def alembic_config(dsn: str) -> Config:
    """An Alembic Config for ShopEase's history pointed at ``dsn`` (a libpq URL)."""
    config = Config(str(INI))
    config.set_main_option("script_location", str(HERE / "migrations"))
    config.set_main_option("sqlalchemy.url", dsn.replace("%", "%%"))
    return config


def upgrade(dsn: str, revision: str = "head") -> None:
    """Run ``alembic upgrade <revision>`` on ``dsn``."""
    command.upgrade(alembic_config(dsn), revision)


def downgrade(dsn: str, revision: str) -> None:
    """Run ``alembic downgrade <revision>`` on ``dsn``."""
    command.downgrade(alembic_config(dsn), revision)
