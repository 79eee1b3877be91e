"""Bring a database to ShopEase's schema with its own Alembic history.

    >>> from app_under_test import schema
    >>> schema.upgrade("postgresql://postgres@127.0.0.1:5432/shop")   # doctest: +SKIP
    >>> schema.alembic_config("postgresql://postgres@127.0.0.1:5432/shop").get_main_option("script_location")  # doctest: +SKIP

Later revisions (e.g. the advisor's generated index migrations) chain on ``INITIAL_REVISION``,
either in ``migrations/versions`` or, to leave ShopEase's own history untouched, in directories
passed as ``extra_versions`` (Alembic ``version_locations``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent
INI = HERE / "alembic.ini"
VERSIONS = HERE / "migrations" / "versions"
INITIAL_REVISION = "0001_initial"


def alembic_config(dsn: str, extra_versions: Iterable[str | Path] = ()) -> Config:
    """An Alembic Config for ShopEase's history pointed at ``dsn`` (a libpq URL).

    ``extra_versions``: more directories of revisions, searched with ShopEase's own.
    """
    config = Config(str(INI))
    config.set_main_option("script_location", str(HERE / "migrations"))
    locations = [str(VERSIONS), *(str(Path(p).resolve()) for p in extra_versions)]
    config.set_main_option("version_locations", os.pathsep.join(locations))
    config.set_main_option("sqlalchemy.url", dsn.replace("%", "%%"))
    return config


def upgrade(dsn: str, revision: str = "head", extra_versions: Iterable[str | Path] = ()) -> None:
    """Run ``alembic upgrade <revision>`` on ``dsn``."""
    command.upgrade(alembic_config(dsn, extra_versions), revision)


def downgrade(dsn: str, revision: str, extra_versions: Iterable[str | Path] = ()) -> None:
    """Run ``alembic downgrade <revision>`` on ``dsn``."""
    command.downgrade(alembic_config(dsn, extra_versions), revision)
