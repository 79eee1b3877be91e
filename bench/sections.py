"""The harness's sections, in the order the document shows them, and how each is called.

A section is a function ``(Context) -> SectionResult``. Sections whose code lives with another
stage (analyze, what-if, TPC-H) are called through ``external``: whatever that module returns
(a SectionResult, rows, a dict with rows/markdown/notes, or markdown text) becomes the section.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import SectionResult

DATA_DIR = Path(".bench-data")


@dataclass
class Context:
    quick: bool = False
    data_dir: Path = DATA_DIR
    notes: list[str] = field(default_factory=list)

    def repeats(self, full: int = 3) -> int:
        return 1 if self.quick else full


@dataclass
class Section:
    name: str
    title: str
    run: Callable[[Context], SectionResult]


def _capture(ctx: Context) -> SectionResult:
    from bench.bench_capture import run

    return run(ctx)


def _analysis(ctx: Context) -> SectionResult:
    try:
        module = importlib.import_module("bench.bench_analyze")
    except ModuleNotFoundError as exc:
        if exc.name != "bench.bench_analyze":
            raise
        from bench.bench_parse import run

        return run(ctx)
    return external(module, "analysis", ctx)


def _whatif(ctx: Context) -> SectionResult:
    return external(importlib.import_module("bench.bench_whatif"), "whatif", ctx)


def _report(ctx: Context) -> SectionResult:
    from bench.bench_report import run

    return run(ctx)


def _quality(ctx: Context) -> SectionResult:
    from bench.bench_quality import run

    return run(ctx)


def _tpch(ctx: Context) -> SectionResult:
    module = importlib.import_module("bench.tpch")
    budgets = [500, 1000] if ctx.quick else [200, 500, 1000, 1500, 2000]
    result = module.run(budgets_mb=budgets, data_dir=ctx.data_dir / "tpch-sf1")
    return as_section(result, "tpch")


SECTIONS = [
    Section("capture", "Capture: pg_stat_statements to Snapshot", _capture),
    Section("analysis", "Analysis: parse + rules vs a bare sqlglot parse", _analysis),
    Section("whatif", "What-if costing (HypoPG)", _whatif),
    Section("report", "Report rendering", _report),
    Section("quality", "Quality on ShopEase: before and after the advisor's indexes", _quality),
    Section("tpch", "TPC-H index selection (relative workload cost)", _tpch),
]
BY_NAME = {s.name: s for s in SECTIONS}


def external(module, name: str, ctx: Context) -> SectionResult:
    """Call another engineer's bench module by the first entry point it has."""
    for entry in ("section", "rows", "run", "main"):
        fn = getattr(module, entry, None)
        if callable(fn):
            params = inspect.signature(fn).parameters
            kwargs = {k: v for k, v in (("quick", ctx.quick), ("ctx", ctx),
                                        ("data_dir", ctx.data_dir)) if k in params}
            return as_section(fn(**kwargs), name)
    raise ImportError(f"{module.__name__} has no section/rows/run function")


def as_section(result, name: str) -> SectionResult:
    if isinstance(result, SectionResult):
        result.name = name
        return result
    section = SectionResult(name=name, title=BY_NAME[name].title if name in BY_NAME else name)
    if isinstance(result, str):
        section.markdown = result
    elif isinstance(result, list):
        section.rows = [dict(r) for r in result]
    elif isinstance(result, dict):
        section.rows = list(result.get("rows", []))
        section.notes = list(result.get("notes", []))
        section.markdown = result.get("markdown", "") or ""
        if not (section.rows or section.markdown or section.notes):
            section.rows = [result]
    else:
        markdown = getattr(result, "markdown", None)
        section.markdown = markdown() if callable(markdown) else str(markdown or result)
    return section
