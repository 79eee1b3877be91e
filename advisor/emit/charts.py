"""Charts for the report, drawn by matplotlib (Agg) as inline SVG with real <text>.

    >>> svg = time_share_chart([("#1 SELECT 1", 80.0), ("#2 SELECT 2", 20.0)])
    >>> svg.startswith("<svg") and "</svg>" in svg
    True
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"time": "#4c72b0", "before": "#c44e52", "after": "#55a868", "estimated": "#8172b2"}


def _label(text: str, width: int = 60) -> str:
    """Plain text for matplotlib: '$' would start mathtext."""
    text = " ".join(text.split())
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text.replace("$", r"\$")


def _svg(fig, salt: str) -> str:
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # ids must be unique in the page: prefix every id and its references with the chart's name.
    svg = re.sub(r'id="([^"]+)"', rf'id="{salt}-\1"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', rf'url(#{salt}-\1)', svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{salt}-\1"', svg)
    return svg


def time_share_chart(rows: list[tuple[str, float]]) -> str:
    """Horizontal bars: each statement's share (%) of the workload's total execution time."""
    labels = [_label(label) for label, _ in rows][::-1]
    values = [value for _, value in rows][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 0.8))
    ax.barh(labels, values, color=COLORS["time"])
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.1f}%", va="center", fontsize=8)
    ax.set_xlabel("share of total execution time (%)")
    ax.set_xlim(0, max(values + [1]) * 1.15)
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig, "timeshare")


def before_after_chart(rows: list[tuple[str, float | None, float | None]], unit: str, salt: str,
                       names: tuple[str, str] = ("before", "after")) -> str:
    """Grouped bars per item: before and after (e.g. p95 ms per endpoint, estimated vs measured)."""
    labels = [_label(label, 40) for label, _, _ in rows]
    before = [b or 0.0 for _, b, _ in rows]
    after = [a or 0.0 for _, _, a in rows]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.0))
    ys = range(len(rows))
    ax.barh([y - 0.2 for y in ys], before, height=0.4, label=names[0],
            color=COLORS.get(names[0], COLORS["before"]))
    ax.barh([y + 0.2 for y in ys], after, height=0.4, label=names[1],
            color=COLORS.get(names[1], COLORS["after"]))
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    ax.legend(fontsize=8, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig, salt)
