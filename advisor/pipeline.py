"""The advisor's recipe, built once per command: snapshot -> analysis -> plan -> artifacts.

    >>> p = Pipeline.from_options(snapshot_path=Path("fixtures/snapshots/shopease.json"))  # doctest: +SKIP
    >>> analysis = p.analyze(recommend=False)                                              # doctest: +SKIP

Each stage is a library function of its own package (capture, analyze, recommend, emit); this
module only strings them together and owns the choices a command line makes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from advisor.errors import AdvisorError
from advisor.model import Analysis, Snapshot

SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")


@dataclass
class Pipeline:
    snapshot: Snapshot
    dsn: str | None = None
    config: object | None = None
    max_indexes: int | None = None
    max_index_size: str | None = None
    time_limit: float | None = None
    skipped: list[dict] = field(default_factory=list)  # statements of --queries files not read
    planned_here: bool = False  # the snapshot's plans were made on dsn by this run

    @classmethod
    def from_options(cls, *, dsn: str | None = None, snapshot_path: Path | None = None,
                     logs: Sequence[Path] = (), app_traces: Sequence[Path] = (),
                     queries: Sequence[Path] = (), config_path: Path | None = None,
                     max_indexes: int | None = None, max_index_size: str | None = None,
                     top: int | None = None, time_limit: float | None = None) -> Pipeline:
        from advisor.config import load_config

        config = load_config(config_path)
        logged = None
        if snapshot_path:
            from advisor.cli._options import load_snapshot

            snapshot = load_snapshot(snapshot_path)
            logged = _read_log(logs, snapshot.database) if logs else None
        elif dsn and (queries or logs) and not _has_pgss(dsn):
            snapshot = _catalog_only(dsn)
            logged = _read_log(logs, snapshot.database) if logs else None
        elif dsn:
            snapshot = _capture(dsn, logs=logs, top=top)
        else:
            raise AdvisorError("give --dsn or --snapshot")
        if app_traces:
            from advisor.trace import load

            snapshot.traces += load(app_traces)
        pipeline = cls(snapshot=snapshot, dsn=dsn, config=config, max_indexes=max_indexes,
                       max_index_size=max_index_size, time_limit=time_limit,
                       planned_here=snapshot_path is None)
        if logged is not None:
            pipeline.add_log(logged)
        if queries:
            pipeline.add_queries(queries)
        if not pipeline.snapshot.statements:
            raise AdvisorError("empty workload: no statements to analyse (run the workload first, "
                               "or give --queries)")
        return pipeline

    def add_queries(self, paths: Sequence[Path]) -> None:
        """Add statements from SQL files to the workload, planned on --dsn when given."""
        from advisor.collector import fewer_collections
        from advisor.workload_files import load_queries

        with fewer_collections():
            statements, problems = load_queries(paths)
            if self.dsn and statements:
                self._plan(statements)
        for problem in problems:
            where = f"{problem['path']} statement {problem.get('statement_index') or '(whole file)'}"
            self.skipped.append({"statement": where, "reason": problem["reason"]})
        known = {s.fingerprint for s in self.snapshot.statements}
        self.snapshot.statements += [s for s in statements if s.fingerprint not in known]

    def add_log(self, logged) -> None:
        """The log's traces, and (planned on --dsn) the statements it shows that the workload
        lacks, timed over the log's span."""
        from advisor.capture.logged import add_logged
        from advisor.capture.plans import unplanned_notes
        from advisor.db import session

        self.snapshot.traces += logged.traces
        if not self.dsn:
            return
        alone = not any(s.source == "pg_stat_statements" for s in self.snapshot.statements)
        with session(self.dsn) as conn:
            added = add_logged(conn, self.snapshot, logged, {s.fingerprint for s in self.snapshot.statements},
                               ours=logged.names_databases or alone)
        self.snapshot.notes += unplanned_notes(added)

    def _plan(self, statements: list) -> None:
        from advisor.capture.plans import plan_statements, unplanned_notes
        from advisor.db import server_version_num, session

        with session(self.dsn) as conn:
            plan_statements(conn, statements, server_version_num(conn))
        self.snapshot.notes += unplanned_notes(statements)

    def analyze(self, *, recommend: bool = True) -> Analysis:
        from advisor.analyze import analyze

        analysis = analyze(self.snapshot, self.config)
        if self.skipped:
            analysis.unparsed += self.skipped
            analysis.snapshot_summary["unparsed"] = len(analysis.unparsed)
        if recommend and self.dsn:
            analysis.plan = self.recommend(analysis)
        return analysis

    def recommend(self, analysis: Analysis):
        from advisor.recommend import RecommendSettings, parse_size, recommend

        settings = RecommendSettings.from_config(self.config)
        if self.max_indexes is not None:
            settings.max_indexes = self.max_indexes
        if self.max_index_size:
            settings.max_index_size_bytes = parse_size(self.max_index_size)
        if self.time_limit is not None:
            settings.time_limit = self.time_limit
        from advisor import console

        with console.phases() as on_progress:
            return recommend(self.dsn, self.snapshot, analysis, settings, on_progress,
                             planned_here=self.planned_here)

    @staticmethod
    def check_migrations(directory: Path, dsn: str) -> None:
        """Fail early when the database is not at the head of the history at ``directory``."""
        from advisor.emit.alembic_project import check_database, find_project

        check_database(find_project(Path(directory)), dsn)

    def write_migrations(self, analysis: Analysis, directory: Path, *, split: bool = False,
                         drops: bool = False):
        """Revisions into the app's Alembic history at ``directory`` (or a standalone project);
        with a DSN, the database must be at that history's head. Notes land in the plan's."""
        from advisor.emit.migrations import write_migrations

        if analysis.plan is None or not analysis.plan.recommendations:
            return []
        left = sum(r.action == "drop" for r in analysis.plan.recommendations) if not drops else 0
        if left:
            analysis.plan.notes.append(f"{left} drop(s) advised but not written into the migrations: "
                                       "--drops writes them, in a revision of their own")
        return write_migrations(analysis.plan, directory, split=split, drops=drops,
                                snapshot=self.snapshot, dsn=self.dsn, notes=analysis.plan.notes)

    def write_report(self, analysis: Analysis, path: Path, validation: dict | None = None) -> Path:
        from advisor.emit.report import write_report

        write_report(path, analysis, self.snapshot, validation)
        return path

    def render(self, analysis: Analysis, fmt: str, *, verbose: bool = False) -> None:
        from advisor import console

        if fmt == "table":
            from advisor.emit.terminal import print_analysis

            print_analysis(console.out, analysis, verbose=verbose)
            return
        from advisor.emit.formats import render

        sys.stdout.write(render(analysis, fmt))
        sys.stdout.write("\n")

    @staticmethod
    def failing(analysis: Analysis, fail_on: str | None) -> bool:
        if not fail_on:
            return False
        floor = SEVERITY_ORDER.index(fail_on)
        return any(SEVERITY_ORDER.index(f.severity) >= floor for f in analysis.findings
                   if f.severity in SEVERITY_ORDER)


def _capture(dsn: str, *, logs: Sequence[Path], top: int | None) -> Snapshot:
    from advisor import console
    from advisor.capture import capture

    with console.progress("EXPLAIN") as advance:
        def on_progress(done: int, total: int) -> None:
            advance(0, total=total)
            advance(1)

        return capture(dsn, logs=logs, top=top, on_progress=on_progress)


def _has_pgss(dsn: str) -> bool:
    from advisor.capture.checks import pgss_schema
    from advisor.db import session

    with session(dsn) as conn:
        try:
            pgss_schema(conn)
        except AdvisorError:
            return False
    return True


def _catalog_only(dsn: str) -> Snapshot:
    """For SQL-file workloads: the catalog without pg_stat_statements."""
    from datetime import UTC, datetime

    from advisor.capture.catalog import read_catalog
    from advisor.capture.checks import check_server_version
    from advisor.capture.settings import read_settings
    from advisor.db import session

    with session(dsn) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        check_server_version(conn.info.server_version, version)
        notes = ["pg_stat_statements is not available: the workload is the SQL files and server logs given"]
        snapshot = Snapshot(created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                            database=conn.info.dbname, server_version=version,
                            server_version_num=conn.info.server_version,
                            settings=read_settings(conn), notes=notes)
        snapshot.catalog = read_catalog(conn, notes)
        conn.rollback()
    return snapshot


def _read_log(logs: Sequence[Path], database: str):
    from advisor.capture.logs import read_log

    return read_log(logs, database=database)
