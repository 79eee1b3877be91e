"""advisor: a PostgreSQL query-optimization and migration advisor."""

__version__ = "0.1.0"
