"""The HTML report: escaping, self-containment, and a real browser opening it without errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from advisor.emit.report import render_report, write_report
from advisor.model import Analysis, Snapshot
from tests.emit import builders

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def html() -> str:
    snap = builders.snapshot()
    return render_report(builders.analysis(snap), snap, builders.validation())


def test_hostile_text_is_escaped(html):
    page = parse(html)
    assert len(page.scripts) == 1 and "alert" not in page.scripts[0]
    assert [t for t, _ in page.tags if t == "img"] == []
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>Weird</b>" not in html and "&lt;b&gt;Weird&lt;/b&gt;" in html


def test_self_contained(html):
    page = parse(html)
    for tag, attrs in page.tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not value or value.startswith("#"), (tag, attrs)
    assert "<link" not in html and "http://" not in html.split("<svg", 1)[0]
    assert html.count("<svg") == 3  # time share, estimated vs measured, endpoints before/after
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids across the inline charts"


def test_sections(html):
    analysis = builders.analysis()
    for rec in analysis.plan.recommendations:
        assert f'data-recommendation="{rec.name}"' in html.replace("&lt;", "<").replace("&gt;", ">")
    assert html.count('class="np1"') == 1
    n_plus_one = html[html.index('id="n-plus-one"'):html.index('id="findings"')]
    assert "selectinload(Order.items)" in n_plus_one and "app_under_test/endpoints.py:88 in order_detail" in n_plus_one
    assert "elsewhere.py" not in n_plus_one  # only the call site the rule found, not every use of the statement
    assert "20 queries per request in 3 requests, 8.00 ms per request, 24.0 ms in all" in n_plus_one
    assert "to the query at <code>app_under_test/endpoints.py:80 in order_detail</code>:<pre>" \
           ".options(selectinload(Order.items))\n# from sqlalchemy.orm import selectinload</pre>" in n_plus_one
    assert n_plus_one.index("repeated statement") < n_plus_one.index("runs after")
    assert "write cost: 900 updates/h" in html  # rejected, with its reason
    assert "Validation: measured vs estimated" in html and "not used by any plan" in html
    assert "plan with <code>order_customer_id_idx</code>" in html  # plan_after rendered
    eager = html[html.index('id="eager-loading"'):]
    assert "21.0 → 2.0" in eager[: eager.index("</table>")]  # the N+1 fix, measured
    # the two Seq Scans on tables with a finding are marked; the Limit above one of them is not
    assert len(re.findall(r'class="node( root)? problem"', html)) == 2
    assert '<details class="node root" open>\n  <summary><span class="nt">Limit</span>' in html


def test_no_validation_section_without_validation():
    snap = builders.snapshot()
    html = render_report(builders.analysis(snap), snap)
    assert 'id="validation"' not in html and html.count("<svg") == 1


def test_an_empty_analysis_renders():
    html = render_report(Analysis(), Snapshot())
    assert "no statements captured" in html and "No N+1 pattern found" in html and "<svg" not in html


def test_write_report_is_atomic(tmp_path):
    snap = builders.snapshot()
    path = write_report(tmp_path / "out" / "report.html", builders.analysis(snap), snap)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def chromium(url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, url],
                          capture_output=True, text=True, timeout=90)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_opens_in_chromium_without_console_errors(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    assert console_errors(chromium(broken.as_uri(), tmp_path, "--dump-dom").stderr), \
        "the console-error check cannot see errors"

    snap = builders.snapshot()
    analysis = builders.analysis(snap)
    path = write_report(tmp_path / "report.html", analysis, snap, builders.validation())
    done = chromium(path.as_uri(), tmp_path, "--dump-dom")
    assert console_errors(done.stderr) == []
    dom = done.stdout
    assert 'data-ready="1"' in dom  # the page's script ran to its end
    page = parse(dom)
    assert [t for t, _ in page.tags if t == "img"] == [] and len(page.scripts) == 1
    shown = {attrs.get("data-recommendation") for _, attrs in page.tags}
    assert {r.name for r in analysis.plan.recommendations} <= shown
    assert sum(1 for _, attrs in page.tags if attrs.get("class") == "np1") == 1
    assert "GET /orders/&lt;id&gt; runs the same SELECT on order_item 20 times per request" in dom


def test_plan_view_marks_the_node_a_finding_names():
    from advisor.emit.plan_tree import plan_view

    scan = {"Node Type": "Seq Scan", "Relation Name": "order", "Schema": "public", "Total Cost": 9.0}
    plan = {"Node Type": "Hash Join", "Join Type": "Inner", "Plans": [dict(scan, Alias="a"), dict(scan, Alias="b")]}
    tree = plan_view(plan, {"public.order"}, [{"node": "Seq Scan", "relation": "public.order", "alias": "b"}])
    assert [(n.label, n.problem) for n in tree.walk()] == [
        ("Inner Hash Join", False), ("Seq Scan on public.order a", False), ("Seq Scan on public.order b", True)]
    fallback = plan_view(plan, {"public.order"})
    assert [n.problem for n in fallback.walk()] == [False, True, True]


def test_plans_after_in_its_accepted_shapes():
    from advisor.emit.plan_tree import plans_after

    node = {"Node Type": "Index Scan", "Relation Name": "t"}
    assert plans_after({"plan_after": node}, ["a", "b"]) == {"a": node}
    assert plans_after({"plan_after": [{"Plan": node}]}, ["a"]) == {"a": node}
    assert plans_after({"plan_after": {"b": [{"Plan": node}], "c": "junk"}}, ["a"]) == {"b": node}
    assert plans_after({}, ["a"]) == {} and plans_after({"plan_after": node}, []) == {}
