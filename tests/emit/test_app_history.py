"""Advice into an app's own Alembic history, on a real server, as a user runs it.

Two fixture apps (tests/emit/apps): a plain Alembic one and one in Flask-Migrate's layout. Each
gets one revision on its head from `advisor analyze --migrations`; upgrade then downgrade leave
its indexes exactly as they were; names the app already uses are never reused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from advisor.emit.alembic_project import find_project
from advisor.emit.migrations import write_migrations
from advisor.errors import AdvisorError
from advisor.model import IndexSpec, Plan, Recommendation

APPS = Path(__file__).parent / "apps"
BLOG_HEAD = "3e4f5a6b7c8d"
TASKS_HEAD = "2b3c4d5e6f70"
# What `flask db <command>` does: Flask-Migrate reads migrations/alembic.ini and sets
# script_location to the migrations folder itself.
FLASK_DB = """
import sys
from alembic import command
from alembic.config import Config
config = Config("migrations/alembic.ini")
config.set_main_option("script_location", "migrations")
getattr(command, sys.argv[1])(config, *sys.argv[2:])
"""
BLOG_DATA = """
INSERT INTO users SELECT g, 'user' || g || '@example.org', 'User ' || g, now() - g * interval '1 minute'
  FROM generate_series(1, 20000) g;
INSERT INTO posts SELECT g, 1 + g % 20000, 'post ' || g, (ARRAY['draft', 'published'])[1 + g % 2],
  now() - g * interval '1 minute' FROM generate_series(1, 30000) g;
INSERT INTO comments SELECT g, 1 + g % 30000, 1 + (g * 7) % 20000, 'comment ' || g,
  now() - g * interval '1 second' FROM generate_series(1, 60000) g;
INSERT INTO archived_posts SELECT g, 'old ' || g, now() FROM generate_series(1, 2000) g;
ANALYZE;
"""
BLOG_WORKLOAD = [
    ("SELECT id, name FROM users WHERE email = %s", lambda i: (f"user{i}@example.org",)),
    ("SELECT id, title FROM posts WHERE title = %s", lambda i: (f"post {i}",)),
    ("SELECT id, body FROM comments WHERE author_id = %s ORDER BY created_at DESC LIMIT 20", lambda i: (i,)),
]
TASKS_DATA = """
INSERT INTO projects SELECT g, 'project ' || g FROM generate_series(1, 500) g;
INSERT INTO tasks SELECT g, 1 + g % 500, 'task ' || g, (ARRAY['open', 'done', 'blocked'])[1 + g % 3],
  timestamp '2025-01-01' + g * interval '7 minutes' FROM generate_series(1, 40000) g;
ANALYZE;
"""
TASKS_WORKLOAD = [
    ("SELECT id, title FROM tasks WHERE due_at >= %s AND due_at < %s",
     lambda i: (f"2025-03-{1 + i % 28:02d} 10:00", f"2025-03-{1 + i % 28:02d} 11:00")),
]


def copy_app(name: str, tmp_path: Path) -> Path:
    app = tmp_path / name
    shutil.copytree(APPS / name, app, ignore=shutil.ignore_patterns("__pycache__"))
    return app


def alembic(app: Path, dsn: str, *args: str) -> None:
    """`alembic <args>` from the plain app's root."""
    _run(app, dsn, [sys.executable, "-m", "alembic", "-x", f"dsn={dsn}", *args])


def flask_db(app: Path, dsn: str, *args: str) -> None:
    """`flask db <args>` from the Flask app's root."""
    _run(app, dsn, [sys.executable, "-c", FLASK_DB, *args])


def _run(app: Path, dsn: str, command: list[str]) -> None:
    done = subprocess.run(command, cwd=app, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": dsn})
    assert done.returncode == 0, done.stderr[-3000:]


def advisor(app: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "advisor", *args], cwd=app, capture_output=True,
                          text=True, timeout=300)


def indexes(dsn: str) -> dict[str, str]:
    """Every index of the public schema: name -> definition."""
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"))


def relations(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace")}


def run_workload(dsn: str, data: str, workload) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(data)
        conn.execute("SELECT pg_stat_statements_reset()")
        for sql, params in workload:
            for i in range(1, 60):
                conn.execute(sql, params(i))


def new_revision(app: Path, location: str, before: set[str]) -> Path:
    (path,) = [p for p in (app / location / "versions").glob("*.py") if p.name not in before]
    return path


@pytest.mark.slow
def test_plain_alembic_app_gets_one_revision_on_its_head(fresh_db, tmp_path):
    app = copy_app("blog", tmp_path)
    alembic(app, fresh_db, "upgrade", "head")
    run_workload(fresh_db, BLOG_DATA, BLOG_WORKLOAD)
    theirs = {p.name: p.read_text() for p in (app / "alembic" / "versions").glob("*.py")}
    before, taken = indexes(fresh_db), relations(fresh_db)

    done = advisor(app, "analyze", "--dsn", fresh_db, "--migrations", ".", "--format", "json")
    assert done.returncode == 0, done.stderr[-3000:]
    path = new_revision(app, "alembic", set(theirs))
    project = find_project(app)
    assert project.heads() == (path.name.split("_")[1],)  # one head: the new revision
    revision = project.scripts.get_revision(project.head())
    assert revision.down_revision == BLOG_HEAD
    assert re.fullmatch(r"\d{8}_[0-9a-f]{12}_advisor_create_\w+\.py", path.name)  # their file_template
    assert {p.name: p.read_text() for p in path.parent.glob("*.py") if p != path} == theirs
    names = revision.module.advisor_indexes
    assert len(names) == 3 and not set(names) & taken  # never a name the schema holds
    document = json.loads(done.stdout)
    assert {r["name"] for r in document["recommendations"] if r["action"] == "create"} == set(names)
    kept = {k["index"] for k in document["kept"]}
    assert {"public.ix_posts_title_fts", "public.ix_users_email"} <= kept  # GIN, expression: stay
    assert not any(r["action"] == "drop" for r in document["recommendations"])  # statistics 0 days old

    alembic(app, fresh_db, "upgrade", "head")
    after = indexes(fresh_db)
    assert {n: d for n, d in after.items() if n in before} == before  # theirs untouched
    assert set(after) - set(before) == set(names)
    assert any("ON public.users USING btree (email)" in after[n] for n in names)  # not under their name
    assert any("ON public.posts USING btree (title)" in after[n] for n in names)
    alembic(app, fresh_db, "downgrade", "-1")
    assert indexes(fresh_db) == before


@pytest.mark.slow
def test_flask_migrate_app_gets_one_revision_on_its_head(fresh_db, tmp_path):
    app = copy_app("tasks_flask", tmp_path)
    flask_db(app, fresh_db, "upgrade", "head")
    run_workload(fresh_db, TASKS_DATA, TASKS_WORKLOAD)
    theirs = {p.name for p in (app / "migrations" / "versions").glob("*.py")}
    before = indexes(fresh_db)

    done = advisor(app, "analyze", "--dsn", fresh_db, "--migrations", "migrations", "--format", "json")
    assert done.returncode == 0, done.stderr[-3000:]
    path = new_revision(app, "migrations", theirs)
    project = find_project(app)
    assert project.layout == "flask-migrate" and project.heads() == (path.name.split("_")[0],)
    revision = project.scripts.get_revision(project.head())
    assert revision.down_revision == TASKS_HEAD
    (name,) = revision.module.advisor_indexes
    assert name != "ix_tasks_due_at" and name.startswith("ix_tasks_due_at")  # theirs is a partial index

    flask_db(app, fresh_db, "upgrade", "head")
    after = indexes(fresh_db)
    assert after["ix_tasks_due_at"] == before["ix_tasks_due_at"] and "WHERE" not in after[name]
    flask_db(app, fresh_db, "downgrade", TASKS_HEAD)
    assert indexes(fresh_db) == before


def test_a_database_behind_the_scripts_head_is_a_clear_error(fresh_db, tmp_path):
    app = copy_app("tasks_flask", tmp_path)
    flask_db(app, fresh_db, "upgrade", "9f1e2d3c4b5a")
    files = sorted(p.name for p in (app / "migrations" / "versions").iterdir())
    plan = Plan(recommendations=[Recommendation("create", "public.tasks", "ix_tasks_title", "",
                                                index=IndexSpec("public.tasks", ["title"]))])
    with pytest.raises(AdvisorError, match="says 9f1e2d3c4b5a, behind the head.*flask db upgrade"):
        write_migrations(plan, app, dsn=fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'feedfacecafe'")
    with pytest.raises(AdvisorError, match="feedfacecafe, a revision the history"):
        write_migrations(plan, app, dsn=fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DROP TABLE alembic_version")
    with pytest.raises(AdvisorError, match="no alembic_version table.*stamp head"):
        write_migrations(plan, app, dsn=fresh_db)
    assert sorted(p.name for p in (app / "migrations" / "versions").iterdir()) == files


def test_the_cli_says_so_before_any_work(fresh_db, tmp_path):
    app = copy_app("blog", tmp_path)
    alembic(app, fresh_db, "upgrade", "7c8d9e0f1a2b")
    done = advisor(app, "analyze", "--dsn", fresh_db, "--migrations", ".")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "says 7c8d9e0f1a2b, behind the head" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("where", [".", "migrations", "migrations/versions", "migrations/alembic.ini"])
def test_flask_migrate_layout_found_from_any_of_its_folders(tmp_path, where):
    app = copy_app("tasks_flask", tmp_path)
    project = find_project(app / where)
    assert project.layout == "flask-migrate" and project.location == app / "migrations"
    assert project.head() == TASKS_HEAD


@pytest.mark.parametrize("where", [".", "alembic", "alembic/versions", "alembic.ini"])
def test_plain_layout_found_from_any_of_its_folders(tmp_path, where):
    app = copy_app("blog", tmp_path)
    project = find_project(app / where)
    assert project.layout == "alembic" and project.head() == BLOG_HEAD
    assert project.scripts.file_template.startswith("%(year)d")  # theirs, not the default


def test_pyproject_tool_alembic(tmp_path):
    from alembic import command
    from alembic.config import Config

    files = {"file_": str(tmp_path / "alembic.ini"), "toml_file": str(tmp_path / "pyproject.toml")}
    command.init(Config(**files), str(tmp_path / "db"), template="pyproject")
    config = Config(**files)
    theirs = command.revision(config, message="first", rev_id="0a0a0a0a0a0a")
    project = find_project(tmp_path)
    assert project.layout == "pyproject" and project.head() == theirs.revision
    (path,) = write_migrations(Plan(recommendations=[Recommendation(
        "create", "public.t", "ix_t_a", "", index=IndexSpec("public.t", ["a"]))]), tmp_path)
    assert path.parent == tmp_path / "db" / "versions"
    assert find_project(tmp_path).scripts.get_revision(path.name.split("_")[0]).down_revision == "0a0a0a0a0a0a"


def test_a_folder_that_is_neither_a_project_nor_empty_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    plan = Plan(recommendations=[Recommendation("create", "public.t", "ix_t_a", "",
                                                index=IndexSpec("public.t", ["a"]))])
    with pytest.raises(AdvisorError, match="neither an Alembic project nor empty"):
        write_migrations(plan, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("name, where", [("tasks_flask", "."), ("blog", "alembic/versions")])
def test_validate_applies_an_apps_history_through_its_own_env(fresh_db, tmp_path, name, where):
    from advisor.validate import apply_migrations

    app = copy_app(name, tmp_path)
    apply_migrations(fresh_db, app / where)
    with psycopg.connect(fresh_db) as conn:
        (at,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert at == {"tasks_flask": TASKS_HEAD, "blog": BLOG_HEAD}[name]
