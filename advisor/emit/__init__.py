"""Artifacts from a Plan and an Analysis: Alembic revisions, the HTML report, JSON/markdown/SARIF."""
