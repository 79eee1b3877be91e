"""bench.report: figures as median (min–max, n) and the document's kept blocks (pure functions)."""

from __future__ import annotations

import pytest

from bench.report import (
    FAILED,
    SectionResult,
    format_duration,
    format_number,
    format_ratio,
    format_timing,
    markdown_table,
    render_document,
    summarize,
)


def test_summarize_takes_the_median_min_max_and_count():
    s = summarize([5.0, 1.0, 3.0, 4.0])
    assert (s.median, s.min, s.max, s.n) == (3.5, 1.0, 5.0, 4)
    with pytest.raises(ValueError):
        summarize([])


@pytest.mark.parametrize("seconds, text", [(0.0000123, "12.3 µs"), (0.0456, "45.6 ms"),
                                           (2.345, "2.35 s")])
def test_durations_pick_a_readable_unit(seconds, text):
    assert format_duration(seconds) == text


def test_timing_shows_the_median_with_its_spread():
    assert format_timing([1.5, 1.2, 2.0]) == "1.50 s (1.20–2.00, n=3)"
    assert format_timing([0.9, 1.1, 1.0]) == "1.00 s (900.0 ms–1.10 s, n=3)"
    assert format_timing([0.25]) == "250.0 ms (n=1)"


def test_ratios_and_numbers():
    assert format_ratio([2.0, 4.0, 3.0]) == "3.00× (2.00–4.00, n=3)"
    assert format_number([10, 30, 20], "MB", 0) == "20 MB (10–30, n=3)"
    assert format_number([7.25], digits=2) == "7.25"


def test_markdown_table_unions_columns_and_escapes_pipes():
    text = markdown_table([{"a": 1, "b": "x|y"}, {"a": 2.123456, "c": "z"}])
    assert text.splitlines() == ["| a | b | c |", "|---|---|---|", "| 1 | x\\|y |  |",
                                 "| 2.123 |  | z |"]
    assert markdown_table([]) == ""


def test_a_document_keeps_the_sections_that_were_not_run_again():
    first = render_document("# B", "machine one", [
        SectionResult("capture", "Capture", rows=[{"n": 1}]),
        SectionResult("tpch", "TPC-H", markdown="| old |")], order=["capture", "analysis", "tpch"])
    second = render_document("# B", "machine two", [
        SectionResult("analysis", "Analysis", status=FAILED, reason="boom", command="python -m bench")],
        previous=first, order=["capture", "analysis", "tpch"])
    assert "machine two" in second and "machine one" not in second
    assert second.index("Capture") < second.index("Analysis") < second.index("TPC-H")
    assert "| old |" in second and "**failed**: boom" in second
    assert "Command: `python -m bench`" in second
    assert second.count("bench:begin capture") == 1
