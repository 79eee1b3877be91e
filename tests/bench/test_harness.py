"""`python -m bench`: sections run alone, missing modules are "not available", failures exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bench.__main__ as harness
from bench.report import SectionResult
from bench.sections import Section

ROOT = Path(__file__).resolve().parents[2]


def test_a_cheap_section_runs_alone_in_quick_mode(tmp_path):
    out = tmp_path / "bench.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--only", "analysis", "--quick",
                           "--output", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "## Machine" in text and "PostgreSQL" in text
    assert "python -m bench --only analysis --quick" in text
    assert "| 200 |" in text  # the quick size, measured
    assert "bench:begin capture" not in text


def _fake(monkeypatch, sections):
    monkeypatch.setattr(harness, "SECTIONS", sections)
    monkeypatch.setattr(harness, "BY_NAME", {s.name: s for s in sections})


def test_a_missing_module_is_reported_and_a_real_failure_exits_1(monkeypatch, tmp_path):
    def missing(ctx):
        import bench.no_such_module  # noqa: F401

    def fine(ctx):
        return SectionResult("fine", "", rows=[{"figure": "42"}])

    def broken(ctx):
        raise RuntimeError("the section broke")

    out = tmp_path / "doc.md"
    _fake(monkeypatch, [Section("missing", "Missing", missing), Section("fine", "Fine", fine)])
    assert harness.main(["--output", str(out)]) == 0
    text = out.read_text()
    assert "**not available**: ModuleNotFoundError" in text and "| 42 |" in text

    _fake(monkeypatch, [Section("broken", "Broken", broken), Section("fine", "Fine", fine)])
    assert harness.main(["--output", str(out)]) == 1
    text = out.read_text()
    assert "**failed**: RuntimeError: the section broke" in text and "| 42 |" in text
