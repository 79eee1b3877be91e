"""Server-log parsing on samples a real embedded PostgreSQL wrote (fixtures/logs/make_logs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.capture.logs import detect_prefix, parse_params, prefix_regex, read_traces
from advisor.errors import AdvisorError
from advisor.fingerprint import fingerprint

LOGS = Path(__file__).parents[2] / "fixtures" / "logs"
SAMPLES = ["stderr.log", "csvlog.csv", "jsonlog.json"]
AUTHOR = fingerprint("SELECT name FROM authors WHERE id = $1")


def _shape(traces):
    return [[(e.fingerprint, e.params) for e in t.events] for t in traces]


@pytest.mark.parametrize("name", SAMPLES)
def test_n_plus_one_request_is_one_trace(name):
    traces, statements = read_traces([LOGS / name])
    request = next(t for t in traces if any(e.fingerprint == AUTHOR for e in t.events))
    kinds = [e.fingerprint for e in request.events]
    assert kinds[0] == fingerprint("SELECT id, author_id FROM books ORDER BY id LIMIT $1")
    assert kinds[1:] == [AUTHOR] * 6
    assert request.events[0].params == ["6"]
    assert [e.params for e in request.events[1:]] == [["2"], ["3"], ["4"], ["5"], ["1"], ["2"]]
    assert request.source == "log" and request.id.endswith("/15")
    by_id = {s.fingerprint: s for s in statements}
    assert by_id[AUTHOR].calls == 6 and by_id[AUTHOR].source == "log"


@pytest.mark.parametrize("name", SAMPLES)
def test_formats_agree(name):
    assert _shape(read_traces([LOGS / name])[0]) == _shape(read_traces([LOGS / "stderr.log"])[0])


def test_simple_protocol_literals_become_parameters():
    traces, _ = read_traces([LOGS / "stderr.log"])
    events = [e for t in traces for e in t.events]
    titles = next(e for e in events if "title FROM books WHERE author_id" in e.query)
    assert titles.query == "SELECT title FROM books WHERE author_id = $1 AND title <> $2"
    assert titles.params == ["3", "x"]


def test_multi_line_statement_and_exclusions():
    traces, _ = read_traces([LOGS / "stderr.log"])
    queries = [e.query for t in traces for e in t.events]
    assert "SELECT a.name, count(*)\nFROM authors a\nJOIN books b ON b.author_id = a.id\n" \
           "WHERE a.id = $1\nGROUP BY a.name" in queries
    assert not any(q.split()[0].upper() in ("BEGIN", "COMMIT", "CREATE", "SET") for q in queries)
    assert not any("pg_database" in q for q in queries)
    # the advisor's own session ran "SELECT * FROM books WHERE id = $1": never a trace
    assert fingerprint("SELECT * FROM books WHERE id = $1") not in {
        e.fingerprint for t in traces for e in t.events}


def test_parse_and_bind_durations_are_added_to_execute():
    text = (LOGS / "stderr.log").read_text()
    line = next(x for x in text.splitlines() if "execute <unnamed>: SELECT id, author_id" in x)
    logged_execute = float(line.split("duration: ")[1].split(" ms")[0])
    traces, _ = read_traces([LOGS / "stderr.log"])
    first = next(e for t in traces for e in t.events if "author_id FROM books ORDER" in e.query)
    assert first.duration_ms > logged_execute


def test_autocommit_statements_are_traces_of_their_own():
    traces, _ = read_traces([LOGS / "stderr.log"])
    update = next(t for t in traces if any(e.query.startswith("UPDATE books") for e in t.events))
    assert len(update.events) == 1 and update.events[0].params == ["renamed", "7"]


def test_database_filter_keeps_only_that_database():
    assert read_traces([LOGS / "csvlog.csv"], database="test")[0]
    assert read_traces([LOGS / "csvlog.csv"], database="other")[0] == []


def test_prefix_regex_and_detection():
    regex = prefix_regex("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ")
    line = ("2026-11-28 10:00:00 UTC [42]: [3-1] user=app,db=shop,app=web,client=10.0.0.1 "
            "LOG:  duration: 1.5 ms  statement: SELECT 1")
    match = regex.match(line)
    assert match and match["db"] == "shop" and match["app"] == "web" and match["pid"] == "42"
    assert detect_prefix([line]) == "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "
    assert detect_prefix((LOGS / "stderr.log").read_text().splitlines()) == "%m [%p] %c %v %a: "


def test_explicit_prefix_without_session_groups_by_pid(tmp_path):
    log = tmp_path / "pg.log"
    log.write_text(
        "2026-11-28 10:00:00 UTC [42]: LOG:  duration: 1.0 ms  statement: SELECT * FROM t WHERE a = 1\n"
        "2026-11-28 10:00:00 UTC [42]: LOG:  duration: 2.0 ms  statement: SELECT * FROM t WHERE a = 2\n")
    traces, statements = read_traces([log], log_line_prefix="%t [%p]: ")
    assert len(traces) == 2 and statements[0].calls == 2 and statements[0].total_time_ms == 3.0


def test_parse_params():
    assert parse_params("parameters: $1 = '5', $2 = NULL, $3 = 'it''s'") == ["5", None, "it's"]


def test_unreadable_log_is_a_clear_error(tmp_path):
    with pytest.raises(AdvisorError, match="cannot read log"):
        read_traces([tmp_path / "missing.log"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1}\nnot json\n')
    with pytest.raises(AdvisorError, match="line 2"):
        read_traces([bad])


def _rotated(tmp_path, name: str) -> tuple:
    """The sample cut in two inside the N+1 transaction (between a lookup's bind and its execute),
    the later half in the file whose name sorts first."""
    lines = (LOGS / name).read_text().splitlines(keepends=True)
    executes = [n for n, line in enumerate(lines) if "execute <unnamed>: SELECT name FROM authors" in line]
    cut = executes[3]
    suffix = Path(name).suffix
    later, earlier = tmp_path / f"postgresql-1{suffix}", tmp_path / f"postgresql-2{suffix}"
    earlier.write_text("".join(lines[:cut]))
    later.write_text("".join(lines[cut:]))
    return earlier, later


@pytest.mark.parametrize("name", ["stderr.log", "jsonlog.json"])
def test_rotated_files_are_one_workload(tmp_path, name):
    whole_traces, whole_statements = read_traces([LOGS / name])
    earlier, later = _rotated(tmp_path, name)
    suffix = Path(name).suffix
    for given in ([later, earlier], [str(tmp_path / f"postgresql-*{suffix}")], [tmp_path], [earlier, later, later]):
        traces, statements = read_traces(given)
        assert _shape(traces) == _shape(whole_traces), given
        assert [(t.id, [e.duration_ms for e in t.events]) for t in traces] == \
            [(t.id, [e.duration_ms for e in t.events]) for t in whole_traces]
        assert [(s.fingerprint, s.calls) for s in statements] == [(s.fingerprint, s.calls) for s in whole_statements]
    apart = read_traces([earlier])[0] + read_traces([later])[0]  # what reading them one by one gives
    assert len(apart) > len(whole_traces)


def test_a_glob_matching_nothing_is_a_clear_error(tmp_path):
    with pytest.raises(AdvisorError, match="no log file matches .*postgresql-\\*.json"):
        read_traces([tmp_path / "postgresql-*.json"])
