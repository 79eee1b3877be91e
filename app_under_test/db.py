"""Engines for ShopEase: libpq URLs in, SQLAlchemy psycopg 3 engines out.

    >>> sqlalchemy_url("postgresql://shop@127.0.0.1:5432/shop")
    'postgresql+psycopg://shop@127.0.0.1:5432/shop'
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

APPLICATION_NAME = "shopease"


def sqlalchemy_url(dsn: str) -> str:
    """The SQLAlchemy URL (psycopg 3 driver) for a libpq URL ``postgresql://...``."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix):]
    raise ValueError(f"not a postgresql:// URL: {dsn.split('@')[-1]!r}")


def make_engine(dsn: str, application_name: str = APPLICATION_NAME, **kw) -> Engine:
    """An engine on ``dsn``; extra keyword arguments go to ``create_engine``."""
    connect_args = {"application_name": application_name, **kw.pop("connect_args", {})}
    return create_engine(sqlalchemy_url(dsn), connect_args=connect_args, **kw)
