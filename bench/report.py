"""Figures and the markdown document the harness writes (pure functions, no timing here).

    >>> format_timing([0.012, 0.010, 0.011])
    '11.0 ms (10.0–12.0, n=3)'
    >>> format_ratio([3.0, 2.5, 3.5])
    '3.00× (2.50–3.50, n=3)'

Each figure is the median of repeated runs with the min and max beside it; ratios are taken per
run (both sides measured side by side), then summarised the same way.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

OK, NOT_AVAILABLE, FAILED = "ok", "not available", "failed"
_BEGIN = "<!-- bench:begin {} -->"
_END = "<!-- bench:end {} -->"
_BLOCK = re.compile(r"<!-- bench:begin (\S+) -->\n.*?<!-- bench:end \1 -->\n", re.S)


@dataclass
class Summary:
    median: float
    min: float
    max: float
    n: int


def summarize(samples: Sequence[float]) -> Summary:
    """Median, min, max and count of ``samples`` (at least one)."""
    if not samples:
        raise ValueError("no samples")
    return Summary(statistics.median(samples), min(samples), max(samples), len(samples))


def format_duration(seconds: float) -> str:
    """A duration in the unit that reads best: µs, ms or s, three significant digits."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def format_timing(samples: Sequence[float]) -> str:
    s = summarize(samples)
    if s.n == 1:
        return f"{format_duration(s.median)} (n=1)"
    low, high = format_duration(s.min).split()[0], format_duration(s.max).split()[0]
    if _unit(s.min) != _unit(s.median) or _unit(s.max) != _unit(s.median):
        low, high = format_duration(s.min), format_duration(s.max)
    return f"{format_duration(s.median)} ({low}–{high}, n={s.n})"


def format_ratio(samples: Sequence[float]) -> str:
    s = summarize(samples)
    if s.n == 1:
        return f"{s.median:.2f}× (n=1)"
    return f"{s.median:.2f}× ({s.min:.2f}–{s.max:.2f}, n={s.n})"


def format_number(samples: Sequence[float], unit: str = "", digits: int = 1) -> str:
    s = summarize(samples)
    suffix = f" {unit}" if unit else ""
    if s.n == 1:
        return f"{s.median:.{digits}f}{suffix}"
    return f"{s.median:.{digits}f}{suffix} ({s.min:.{digits}f}–{s.max:.{digits}f}, n={s.n})"


def _unit(seconds: float) -> str:
    return format_duration(seconds).split()[1]


def repeat(fn: Callable[[], object], times: int) -> list[float]:
    """Wall-clock seconds of ``times`` calls of ``fn``."""
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


# ---------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------


@dataclass
class SectionResult:
    """What one section measured: a table of rows, notes, and optional markdown of its own."""

    name: str
    title: str
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    markdown: str = ""
    status: str = OK
    reason: str = ""
    command: str = ""
    seconds: float = 0.0


def markdown_table(rows: Sequence[dict]) -> str:
    """A GitHub table; columns in first-seen order, missing cells empty, pipes escaped."""
    if not rows:
        return ""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [_cell(row.get(c, "")) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    if isinstance(value, float):
        value = f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_section(result: SectionResult) -> str:
    parts = [f"## {result.title}\n"]
    if result.command:
        parts.append(f"Command: `{result.command}`"
                     + (f" (section took {result.seconds:.0f} s)" if result.seconds else "") + "\n")
    if result.status != OK:
        parts.append(f"**{result.status}**: {result.reason}\n")
    if result.rows:
        parts.append(markdown_table(result.rows))
    if result.markdown:
        parts.append(result.markdown.rstrip() + "\n")
    parts += [f"- {note}" for note in result.notes]
    if result.notes:
        parts.append("")
    return _block(result.name, "\n".join(parts))


def _block(name: str, body: str) -> str:
    return f"{_BEGIN.format(name)}\n{body.rstrip()}\n\n{_END.format(name)}\n"


def render_document(header: str, machine: str, sections: Sequence[SectionResult],
                    previous: str | None = None, order: Sequence[str] = ()) -> str:
    """The whole document; blocks of ``previous`` that were not re-run are kept as they were.

    ``order`` gives the place of each section name (the harness's list); unknown ones go last.
    """
    blocks = _blocks(previous or "")
    blocks["machine"] = _block("machine", machine)
    for result in sections:
        blocks[result.name] = render_section(result)
    names = ["machine", *[n for n in order if n in blocks],
             *[n for n in blocks if n != "machine" and n not in order]]
    return header.rstrip() + "\n\n" + "\n".join(blocks[n] for n in names)


def _blocks(text: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in _BLOCK.finditer(text)}
