"""What the new indexes cost, in every artifact: their size next to their tables', the writes
each slows (HOT updates it ends included), what a narrower variant would lose, merges."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from advisor.emit.document import analysis_document
from advisor.emit.footprint import footprint, footprint_line
from advisor.emit.markdown import render_markdown
from advisor.emit.report import render_report
from advisor.emit.summaries import revision_summary
from advisor.emit.terminal import print_analysis
from tests.emit import builders

EVIDENCE = {
    "table_size_bytes": 48 << 20,
    "writes": {"rows_inserted": 1200, "rows_updated": 300, "rows_deleted": 0, "rows_updated_not_hot": 0,
               "hot_updates_broken": [{"statement": "abcd1234abcd1234", "rows": 300, "columns": ["status"]}],
               "charge": 3000.0},
    "narrower": {"index": "(customer_id)", "bytes_saved": 1 << 20, "cost_increase": 5000.0,
                 "share_of_gain_lost": 0.42},
    "merged": ["order_customer_id_id_idx"],
    "refined": ["merged (customer_id, id) into it: one index serves both, 1.0% of their gain lost"],
}


@pytest.fixture(scope="module")
def costed():
    snapshot = builders.snapshot()
    analysis = builders.analysis(snapshot)
    analysis.plan.recommendations[0].evidence.update(EVIDENCE)
    return snapshot, analysis


def test_footprint_totals_each_table_once(costed):
    _, analysis = costed
    f = footprint(analysis.plan)
    creates = [r for r in analysis.plan.recommendations if r.action == "create"]
    assert f["indexes"] == len(creates) and f["index_bytes"] == sum(r.estimated_size_bytes for r in creates)
    assert f["table_bytes"] == 48 << 20  # the other table's size is not known: not guessed
    (order,) = [t for t in f["tables"] if t["table"] == "public.order"]
    (index,) = order["indexes"]
    assert "1,200 rows inserted" in index["slows"] and "no longer HOT" in index["slows"]
    assert index["narrower"].startswith("(customer_id): 1.0 MB smaller, loses 42%")
    assert re.fullmatch(r"2 new indexes, [\d.]+ MB estimated, on tables of 48.0 MB \(\d+% of their size\)",
                        footprint_line(f))
    assert analysis_document(analysis)["summary"]["new_index_table_bytes"] == 48 << 20


def test_report_shows_sizes_writes_narrower_variants_and_merges(costed):
    snapshot, analysis = costed
    html = render_report(analysis, snapshot)
    table = html[html.index('<table id="footprint">'):]
    table = table[:table.index("</table>")]
    assert "48.0 MB" in table and "no longer HOT" in table and "loses 42% of the gain" in table
    assert "order_customer_id_id_idx" in table and "nothing narrower" in table
    assert "(its table: 48.0 MB)" in html and "writes it slows: 1,200 rows inserted" in html
    assert "merges: <code>order_customer_id_id_idx</code>" in html


def test_terminal_markdown_and_revision_text_show_the_costs(costed):
    snapshot, analysis = costed
    console = Console(width=200, record=True, file=io.StringIO())
    print_analysis(console, analysis)
    text = console.export_text()
    assert "2 new indexes" in text and "1,200 rows inserted" in text and "(48.0 MB)" in text
    markdown = render_markdown(analysis)
    assert "2 new indexes" in markdown and "no longer HOT" in markdown
    queries = {s.fingerprint: s.query for s in snapshot.statements}
    revision = revision_summary([analysis.plan.recommendations[0]], queries)
    assert "Its table: 48.0 MB." in revision and "Writes it slows (over the capture): 1,200 rows" in revision
    assert "A narrower variant, (customer_id): 1.0 MB smaller, loses 42% of the gain." in revision
