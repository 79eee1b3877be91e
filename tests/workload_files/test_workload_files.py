"""SQL-file workloads: splitting, weights, bad statements reported and skipped, folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.errors import AdvisorError
from advisor.fingerprint import fingerprint
from advisor.workload_files import load_queries, split_statements

TPCH_QUERIES = Path("/work/shared/benchmarks/tpch/queries")
if not TPCH_QUERIES.is_dir():  # CI lays shared/ beside the clone
    TPCH_QUERIES = Path(__file__).resolve().parents[3] / "shared/benchmarks/tpch/queries"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_several_statements_in_one_file_keep_their_order_and_text(tmp_path):
    path = write(tmp_path, "w.sql", "SELECT * FROM orders WHERE id = 1;\n"
                                    "select name from users where email = 'a@b'  ;\n\n"
                                    "SELECT 3")
    statements, problems = load_queries([path])
    assert problems == []
    assert [s.query for s in statements] == [
        "SELECT * FROM orders WHERE id = 1",
        "select name from users where email = 'a@b'",
        "SELECT 3",
    ]
    assert all(s.source == "file" and s.calls == 0 and s.weight == 1.0 for s in statements)
    assert statements[1].fingerprint == fingerprint("select name from users where email = $1")


def test_semicolons_inside_strings_dollar_quotes_identifiers_and_comments_do_not_split(tmp_path):
    text = ("select 'a;b' as x, $$c;d$$, $tag$ e; $tag$ from \"odd;name\" /* f; g */ where y = 1;\n"
            "-- a comment; with a semicolon\n"
            "select 2;")
    statements, problems = load_queries([write(tmp_path, "q.sql", text)])
    assert problems == []
    assert len(statements) == 2
    assert statements[0].query.startswith("select 'a;b'") and statements[0].query.endswith("y = 1")
    assert statements[1].query == "select 2"


def test_weight_comment_applies_to_the_statement_it_precedes(tmp_path):
    text = ("-- weight: 40\n"
            "select * from orders where user_id = 7;\n"
            "select * from products where id = 3;\n"
            "-- the hot one\n-- Weight: 2.5\n"
            "select * from users where id = 1;")
    statements, problems = load_queries([write(tmp_path, "w.sql", text)])
    assert problems == []
    assert [s.weight for s in statements] == [40.0, 1.0, 2.5]
    assert [s.workload_weight for s in statements] == [40.0, 1.0, 2.5]


def test_a_weight_comment_inside_a_statement_does_not_count(tmp_path):
    text = "select *\n-- weight: 9\nfrom orders;"
    statements, _ = load_queries([write(tmp_path, "w.sql", text)])
    assert [s.weight for s in statements] == [1.0]


@pytest.mark.parametrize("bad", ["0", "-3", "lots", "nan"])
def test_an_invalid_weight_is_reported_and_its_statement_skipped(tmp_path, bad):
    text = f"-- weight: {bad}\nselect 1;\nselect 2;"
    statements, problems = load_queries([write(tmp_path, "w.sql", text)])
    assert [s.query for s in statements] == ["select 2"]
    assert problems[0]["statement_index"] == 1 and "weight" in problems[0]["reason"]


def test_a_statement_that_does_not_parse_is_reported_and_skipped(tmp_path):
    path = write(tmp_path, "mixed.sql", "select 1;\nselec * frm orders;\nselect 3;")
    statements, problems = load_queries([path])
    assert [s.query for s in statements] == ["select 1", "select 3"]
    assert problems == [{"path": str(path), "statement_index": 2,
                         "reason": problems[0]["reason"]}]
    assert problems[0]["reason"].startswith("does not parse")


def test_a_file_that_does_not_tokenize_is_reported_and_the_others_still_load(tmp_path):
    write(tmp_path, "a_good.sql", "select 1;")
    bad = write(tmp_path, "b_bad.sql", "select 'unterminated;\nselect 2;")
    write(tmp_path, "c_good.sql", "select 3;")
    statements, problems = load_queries([tmp_path])
    assert [s.query for s in statements] == ["select 1", "select 3"]
    assert problems == [{"path": str(bad), "statement_index": None,
                         "reason": problems[0]["reason"]}]
    assert "tokenize" in problems[0]["reason"]


def test_a_file_that_is_not_utf8_is_reported(tmp_path):
    bad = tmp_path / "latin.sql"
    bad.write_bytes(b"select '\xe9t\xe9';")
    statements, problems = load_queries([bad])
    assert statements == [] and problems[0]["path"] == str(bad)


def test_a_folder_is_read_recursively_in_sorted_order_and_only_sql_files(tmp_path):
    write(tmp_path, "b.sql", "select 'b';")
    write(tmp_path, "a.sql", "select 'a';")
    write(tmp_path, "sub/c.sql", "select 'c';")
    write(tmp_path, "notes.txt", "select 'not me';")
    statements, problems = load_queries([tmp_path])
    assert problems == []
    assert [s.query for s in statements] == ["select 'a'", "select 'b'", "select 'c'"]


def test_empty_and_comment_only_files_give_no_statements_and_no_problems(tmp_path):
    write(tmp_path, "empty.sql", "")
    write(tmp_path, "blank.sql", "\n  \n;;\n")
    write(tmp_path, "comments.sql", "-- nothing here\n/* nor here */\n")
    assert load_queries([tmp_path]) == ([], [])


def test_a_missing_path_is_a_user_error(tmp_path):
    with pytest.raises(AdvisorError, match="no such file"):
        load_queries([tmp_path / "nope.sql"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_a_user_error(tmp_path):
    path = write(tmp_path, "secret.sql", "select 1;")
    path.chmod(0)
    with pytest.raises(AdvisorError, match="cannot read"):
        load_queries([path])


def test_split_statements_returns_the_leading_comments_apart():
    assert split_statements("-- weight: 3\nselect 1;select 2") == [
        ("-- weight: 3\n", "select 1"), ("", "select 2")]


@pytest.mark.skipif(not TPCH_QUERIES.is_dir(), reason="shared TPC-H queries not laid out")
def test_the_19_tpch_queries_parse_into_19_distinct_statements():
    statements, problems = load_queries([TPCH_QUERIES])
    assert problems == []
    assert len(statements) == 19
    assert len({s.fingerprint for s in statements}) == 19
    assert all(s.query.lstrip().lower().startswith(("select", "with")) for s in statements)


def test_compact_parameter_lists_split_correctly():
    from advisor.workload_files import split_statements

    chunks = split_statements("SELECT * FROM t WHERE id IN ($1,$2); SELECT 2;")
    assert [text for _, text in chunks] == ["SELECT * FROM t WHERE id IN ( $1, $2)", "SELECT 2"]
