"""Revisions on a real server: scaffold, upgrade/downgrade, chaining, heads, INVALID leftovers, squawk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import conninfo

from advisor.emit.migrations import remove_index_revisions, write_migrations
from advisor.errors import AdvisorError
from advisor.model import IndexSpec, Plan, Recommendation, StatementGain

ROOT = Path(__file__).resolve().parents[2]
SQUAWK = ROOT / ".venv" / "bin" / "squawk"
LONG = "t" * 63  # the longest table name PostgreSQL keeps (63 bytes)
UNI = "ünïcödé"

SCHEMA = f'''
CREATE TABLE "order" (id serial PRIMARY KEY, customer_id int, status text, total numeric,
                      created_at timestamptz DEFAULT now());
CREATE TABLE "Weird ""Name""" ("Weird ""Col""" int, "select" text, total int);
CREATE TABLE "{UNI}" ("naïve" text);
CREATE TABLE {LONG} (a int);
CREATE TABLE dupes (code int);
INSERT INTO "order" (customer_id, status, total) SELECT g % 50, CASE WHEN g % 7 = 0 THEN 'open' ELSE 'done' END, g
  FROM generate_series(1, 500) g;
INSERT INTO "Weird ""Name""" SELECT g, 'x' || g, g FROM generate_series(1, 100) g;
INSERT INTO "{UNI}" SELECT 'word ' || g FROM generate_series(1, 100) g;
INSERT INTO {LONG} SELECT g FROM generate_series(1, 100) g;
INSERT INTO dupes VALUES (1), (1), (2);
CREATE INDEX order_status_old ON "order" (status);
'''


def rec(table: str, name: str, columns: list[str], **spec) -> Recommendation:
    extension = spec.pop("requires_extension", None)
    return Recommendation(action="create", table=table, name=name, ddl="", benefit=100.0,
                          index=IndexSpec(table=table, columns=columns, **spec),
                          statements=[StatementGain("0123456789abcdef", 10, 100.0, 2.0)],
                          requires_extension=extension)


def the_plan(old_definition: str) -> Plan:
    return Plan(recommendations=[
        rec("public.order", "order_customer_id_idx", ["customer_id"]),
        rec("public.order", "order_status_open_idx", ["created_at DESC"], include=["total"],
            where="status = 'open'"),
        rec("public.order", "order_lower_status_idx", ["lower(status)"]),
        rec('public.Weird "Name"', 'Weird "Name"_sel_idx', ['Weird "Col"', "select"]),
        rec(f"public.{UNI}", f"{UNI}_naïve_trgm", ["naïve"], method="gin", opclass="gin_trgm_ops",
            requires_extension="pg_trgm"),
        rec(f"public.{LONG}", "long_table_a_idx", ["a"]),
        Recommendation(action="drop", table="public.order", name="order_status_old", ddl="",
                       reason="redundant with order_status_open_idx",
                       evidence={"idx_scan": 0, "since": "2026-11-01", "definition": old_definition}),
    ])


@pytest.fixture
def db(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
    return fresh_db


def alembic(ini: Path, dsn: str | None, *args: str, check: bool = True,
            database_url: str | None = None) -> subprocess.CompletedProcess:
    extra = ["-x", f"dsn={dsn}"] if dsn else []
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url:
        env["DATABASE_URL"] = database_url
    done = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ini), *extra, *args],
                          capture_output=True, text=True, env=env, cwd=ini.parent)
    if check and done.returncode != 0:
        raise AssertionError(done.stderr[-3000:])
    return done


def indexes(dsn: str) -> dict[str, bool]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = "
                            "i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE n.nspname = 'public'").fetchall()
    return dict(rows)


def definition_of(dsn: str, name: str) -> str:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT pg_get_indexdef(%s::regclass)", [f'public."{name}"']).fetchone()[0]


def test_scaffold_upgrade_downgrade_upgrade(db, tmp_path):
    plan = the_plan(definition_of(db, "order_status_old"))
    created = [r.name for r in plan.recommendations if r.action == "create"]
    paths = write_migrations(plan, tmp_path / "mig", split=True, drops=True)
    assert len(paths) == len(plan.recommendations) and all(p.exists() for p in paths)
    ini = tmp_path / "mig" / "alembic.ini"

    alembic(ini, db, "upgrade", "head")
    after = indexes(db)
    assert all(after.get(name) is True for name in created), after
    assert "order_status_old" not in after

    alembic(ini, db, "downgrade", "base")
    after = indexes(db)
    assert not set(created) & set(after)
    assert after.get("order_status_old") is True
    assert definition_of(db, "order_status_old") == plan.recommendations[-1].evidence["definition"]

    # DATABASE_URL instead of -x dsn, as a libpq key=value string (what validate's scratch copy passes)
    alembic(ini, None, "upgrade", "head", database_url=conninfo.make_conninfo("", **conninfo.conninfo_to_dict(db)))
    assert all(indexes(db).get(name) is True for name in created)


def test_failed_concurrent_build_is_dropped_and_rebuilt_on_rerun(db, tmp_path):
    # no schema in the name: the leftover is looked up in current_schema()
    plan = Plan(recommendations=[rec("dupes", "dupes_code_key", ["code"], unique=True)])
    write_migrations(plan, tmp_path / "mig")
    ini = tmp_path / "mig" / "alembic.ini"
    failed = alembic(ini, db, "upgrade", "head", check=False)
    assert failed.returncode != 0 and "could not create unique index" in failed.stderr
    assert indexes(db).get("dupes_code_key") is False  # the INVALID leftover

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("DELETE FROM dupes WHERE ctid NOT IN (SELECT min(ctid) FROM dupes GROUP BY code)")
    alembic(ini, db, "upgrade", "head")
    assert indexes(db).get("dupes_code_key") is True
    assert False not in indexes(db).values()


def test_chains_onto_an_existing_project_without_touching_it(db, tmp_path):
    project = tmp_path / "app"
    config = Config(str(project / "alembic.ini"))
    command.init(config, str(project / "alembic"))
    config = Config(str(project / "alembic.ini"))
    theirs = command.revision(config, message="their own table")
    their_text = Path(theirs.path).read_text()

    paths = write_migrations(Plan(recommendations=[rec("public.order", "order_total_idx", ["total"])]),
                             project)
    scripts = ScriptDirectory.from_config(config)
    (head,) = scripts.get_heads()
    assert scripts.get_revision(head).down_revision == theirs.revision
    assert Path(scripts.get_revision(head).path) == paths[0]
    assert paths[0].parent == Path(theirs.path).parent  # the project's own versions folder
    assert Path(theirs.path).read_text() == their_text

    ini = project / "alembic.ini"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname",
                                           db.replace("postgresql://", "postgresql+psycopg://")))
    alembic(ini, None, "upgrade", "head")
    assert indexes(db).get("order_total_idx") is True


def test_several_heads_is_a_clear_error(tmp_path):
    project = tmp_path / "app"
    config = Config(str(project / "alembic.ini"))
    command.init(config, str(project / "alembic"))
    config = Config(str(project / "alembic.ini"))
    command.revision(config, message="one")
    command.revision(config, message="two", head="base", splice=True)
    before = sorted(p.name for p in (project / "alembic" / "versions").iterdir())
    with pytest.raises(AdvisorError, match="2 heads.*merge"):
        write_migrations(Plan(recommendations=[rec("public.order", "order_total_idx", ["total"])]), project)
    assert sorted(p.name for p in (project / "alembic" / "versions").iterdir()) == before


def test_offline_sql_passes_squawk(tmp_path):
    if not SQUAWK.exists():
        pytest.skip("squawk-cli is not installed in .venv")
    plan = the_plan('CREATE INDEX order_status_old ON public."order" USING btree (status)')
    write_migrations(plan, tmp_path / "mig", split=True, drops=True)
    ini = tmp_path / "mig" / "alembic.ini"
    chain = [None] + [s.revision for s in reversed(list(ScriptDirectory(str(tmp_path / "mig")).walk_revisions()))]
    for before, revision in zip(chain, chain[1:], strict=False):
        sql = alembic(ini, None, "upgrade", f"{before or 'base'}:{revision}" if before else revision,
                      "--sql").stdout
        assert "CONCURRENTLY" in sql
        path = tmp_path / f"{revision}.sql"
        path.write_text(sql)
        # opt-in rules too: lock_timeout and statement_timeout must be set before the build
        done = subprocess.run([str(SQUAWK), "--reporter", "json", "--pg-version", "15",
                               "--include", "require-timeout-settings", str(path)],
                              capture_output=True, text=True)
        problems = [p for p in json.loads(done.stdout or "[]")
                    if not _alembic_bookkeeping(sql, p) and not _guarded_online(sql, p)]
        assert problems == [], (sql, problems)


def _guarded_online(sql: str, problem: dict) -> bool:
    """squawk's prefer-robust-stmts asks CREATE INDEX for IF NOT EXISTS, which would keep whatever
    else holds the name: the revision makes the build re-runnable online instead (_build_needed
    drops an INVALID leftover, keeps the same index, stops at another one), which offline SQL
    cannot ask. Only that rule, only on a CREATE INDEX line."""
    line = sql.splitlines()[problem["line"]]
    return problem.get("rule_name") == "prefer-robust-stmts" and line.startswith("CREATE INDEX CONCURRENTLY")


def _alembic_bookkeeping(sql: str, problem: dict) -> bool:
    """Alembic's own `CREATE TABLE advisor_version` (first revision only) is not advisor's DDL."""
    lines = sql.splitlines()  # squawk's json lines count from 0
    start = next((n for n, line in enumerate(lines) if line.startswith("CREATE TABLE advisor_version")), None)
    if start is None:
        return False
    end = next(n for n in range(start, len(lines)) if lines[n].rstrip().endswith(";"))
    return start <= problem["line"] <= end and problem["line_end"] <= end


def test_prune_removes_a_revision_and_rechains(db, tmp_path):
    plan = Plan(recommendations=[rec("public.order", f"order_{c}_idx", [c]) for c in ("customer_id", "status",
                                                                                       "total")])
    paths = write_migrations(plan, tmp_path / "mig", split=True)
    removed = remove_index_revisions(tmp_path / "mig", ["order_status_idx"])
    assert removed == [paths[1]] and not paths[1].exists()
    scripts = ScriptDirectory(str(tmp_path / "mig"))
    assert len(scripts.get_heads()) == 1
    assert [s.module.advisor_indexes for s in scripts.walk_revisions()] == [["order_total_idx"],
                                                                            ["order_customer_id_idx"]]
    alembic(tmp_path / "mig" / "alembic.ini", db, "upgrade", "head")
    assert "order_status_idx" not in indexes(db) and indexes(db)["order_total_idx"]


def test_chains_onto_the_shopease_history(fresh_db, tmp_path):
    """A real project's layout: alembic.ini with %(here)s paths, its own env.py and numbered files."""
    app = ROOT / "app_under_test"
    project = tmp_path / "shop"
    project.mkdir()
    shutil.copy(app / "alembic.ini", project / "alembic.ini")
    shutil.copytree(app / "migrations", project / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    theirs = {p.name: p.read_text() for p in (project / "migrations" / "versions").glob("*.py")}
    (path,) = write_migrations(Plan(recommendations=[rec("public.users", "users_lower_email_idx",
                                                         ["lower(email)"])]), project)
    assert path.parent == project / "migrations" / "versions"
    assert {p.name: p.read_text() for p in path.parent.glob("*.py") if p != path} == theirs
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "alembic", "-c", str(project / "alembic.ini"), "-x",
                           f"dsn={fresh_db}", "upgrade", "head"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert indexes(fresh_db).get("users_lower_email_idx") is True


def test_one_revision_for_every_build_and_drops_only_when_asked(db, tmp_path):
    plan = the_plan(definition_of(db, "order_status_old"))
    creates = [r.name for r in plan.recommendations if r.action == "create"]
    (only,) = write_migrations(plan, tmp_path / "nodrops")
    assert "order_status_old" not in only.read_text()
    paths = write_migrations(plan, tmp_path / "mig", drops=True)
    assert len(paths) == 2  # the builds, then the drop
    assert paths[0].read_text().count("op.create_index(") == len(creates)
    ini = tmp_path / "mig" / "alembic.ini"
    alembic(ini, db, "upgrade", "head")
    assert all(indexes(db).get(name) is True for name in creates) and "order_status_old" not in indexes(db)
    alembic(ini, db, "downgrade", "base")
    assert not set(creates) & set(indexes(db)) and indexes(db).get("order_status_old") is True


def test_prune_rewrites_the_one_revision_without_the_useless_index(db, tmp_path):
    plan = Plan(recommendations=[rec("public.order", f"order_{c}_idx", [c]) for c in ("customer_id", "status",
                                                                                       "total")])
    (path,) = write_migrations(plan, tmp_path / "mig")
    revision = ScriptDirectory(str(tmp_path / "mig")).get_heads()[0]
    assert remove_index_revisions(tmp_path / "mig", ["order_status_idx"]) == []  # no plan: kept whole
    assert remove_index_revisions(tmp_path / "mig", ["order_status_idx"], plan) == [path]
    scripts = ScriptDirectory(str(tmp_path / "mig"))
    assert scripts.get_heads() == [revision]  # same revision, same place in the history
    assert scripts.get_revision(revision).module.advisor_indexes == ["order_customer_id_idx", "order_total_idx"]
    alembic(tmp_path / "mig" / "alembic.ini", db, "upgrade", "head")
    assert "order_status_idx" not in indexes(db) and indexes(db)["order_total_idx"]


def test_the_standalone_project_keeps_its_own_version_table(db, tmp_path):
    with psycopg.connect(db, autocommit=True) as conn:  # the app's own Alembic, elsewhere
        conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('their0head00')")
    notes: list[str] = []
    write_migrations(Plan(recommendations=[rec("public.order", "order_total_idx", ["total"])]),
                     tmp_path / "mig", dsn=db, notes=notes)
    assert len(notes) == 1 and "managed by Alembic (alembic_version at their0head00)" in notes[0]
    alembic(tmp_path / "mig" / "alembic.ini", db, "upgrade", "head")
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("their0head00",)]
        assert conn.execute("SELECT count(*) FROM advisor_version").fetchone()[0] == 1


@pytest.mark.parametrize("theirs", [
    'CREATE INDEX order_customer_id_idx ON "order" (customer_id) WHERE status = \'open\'',  # same key, partial
    'CREATE INDEX order_customer_id_idx ON "order" (status)',
    'CREATE TABLE order_customer_id_idx (id int)',
])
def test_a_name_taken_since_the_advice_stops_the_upgrade_and_theirs_stays(db, tmp_path, theirs):
    write_migrations(Plan(recommendations=[rec("public.order", "order_customer_id_idx", ["customer_id"])]),
                     tmp_path / "mig")
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(theirs)
        before = conn.execute("SELECT oid FROM pg_class WHERE relname = 'order_customer_id_idx'").fetchone()
    done = alembic(tmp_path / "mig" / "alembic.ini", db, "upgrade", "head", check=False)
    assert done.returncode != 0 and "'order_customer_id_idx' already names another relation" in done.stderr
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT oid FROM pg_class WHERE relname = 'order_customer_id_idx'").fetchone() == before


def test_an_index_an_interrupted_run_built_is_kept_and_the_run_finishes(db, tmp_path):
    plan = Plan(recommendations=[rec("public.order", "order_customer_id_idx", ["customer_id"]),
                                 rec("public.order", "order_total_idx", ["total"])])
    write_migrations(plan, tmp_path / "mig")
    with psycopg.connect(db, autocommit=True) as conn:  # the first build went through, then the run died
        conn.execute('CREATE INDEX order_customer_id_idx ON "order" (customer_id)')
        built = conn.execute("SELECT 'order_customer_id_idx'::regclass::oid").fetchone()
    alembic(tmp_path / "mig" / "alembic.ini", db, "upgrade", "head")
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT 'order_customer_id_idx'::regclass::oid").fetchone() == built
    assert indexes(db)["order_total_idx"] is True
    alembic(tmp_path / "mig" / "alembic.ini", db, "downgrade", "base")
    assert not {"order_customer_id_idx", "order_total_idx"} & set(indexes(db))


def test_a_redundant_drop_waits_for_the_index_that_serves_its_searches(db, tmp_path):
    """The drop of an index made redundant by another stops while that other one is missing or
    INVALID (a failed build, a drop since the advice); once it is valid, the drop goes through."""
    old = definition_of(db, "order_status_old")
    keeper = rec("public.order", "order_status_total_idx", ["status", "total"])
    drop = Recommendation(action="drop", table="public.order", name="order_status_old", ddl="",
                          reason="redundant-index", evidence={"definition": old, "columns": ["status"],
                                                              "kept": "public.order_status_total_idx"})
    (path,) = write_migrations(Plan(recommendations=[drop]), tmp_path / "mig", drops=True)
    assert "_require_keeper('public', 'order_status_total_idx', 'order_status_old')" in path.read_text()
    ini = tmp_path / "mig" / "alembic.ini"
    failed = alembic(ini, db, "upgrade", "head", check=False)
    assert failed.returncode != 0 and "'order_status_total_idx' is missing or not valid" in failed.stderr
    assert indexes(db).get("order_status_old") is True
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute('CREATE INDEX order_status_total_idx ON "order" (status, total)')
    alembic(ini, db, "upgrade", "head")
    assert "order_status_old" not in indexes(db) and keeper.name in indexes(db)
