"""Where advisor's revisions go: the app's own Alembic history, or a standalone project.

    >>> project = find_project(Path("."))                          # doctest: +SKIP
    >>> project.layout, project.head()                             # doctest: +SKIP
    ('flask-migrate', '3f2a91c0d1e4')

``find_project(path)`` recognises, from the app's root or from any folder of its environment:

- plain Alembic: an ``alembic.ini`` whose ``[alembic]`` has ``script_location``;
- Flask-Migrate: ``migrations/alembic.ini`` without ``script_location``, the environment
  (``env.py``, ``script.py.mako``, ``versions/``) beside it; Flask-Migrate points Alembic there;
- ``[tool.alembic]`` in ``pyproject.toml`` (Alembic 1.16+), with or without an ``alembic.ini``;
- a bare script location (``env.py`` or ``versions/``), or a ``versions`` folder.

Anything else is no project: ``scaffold(path)`` writes advisor's standalone one there (for a
database without Alembic). It keeps its own version table, ``advisor_version``, so it never
fights an app's ``alembic_version``. ``check_database`` compares a project's head with the
revision the database is at, read-only.
"""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from advisor.errors import AdvisorError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "alembic"
STANDALONE_MARK = "Alembic configuration written by advisor"
STANDALONE_VERSION_TABLE = "advisor_version"
DEFAULT_VERSION_TABLE = "alembic_version"
_VERSION_TABLE = re.compile(r"""version_table\s*=\s*['"]([^'"]+)['"]""", re.I)
_VERSION_SCHEMA = re.compile(r"""version_table_schema\s*=\s*['"]([^'"]+)['"]""", re.I)
# `alembic upgrade head` in a child process, for a project whose script_location may live outside
# its files (Flask-Migrate sets it in code): ini, toml, script location, dsn.
_UPGRADE = """
import argparse, sys
from alembic import command
from alembic.config import Config
ini, toml, location, dsn = sys.argv[1:]
config = Config(ini or None, toml_file=toml or None, cmd_opts=argparse.Namespace(x=[f"dsn={dsn}"]))
config.set_main_option("script_location", location)
command.upgrade(config, "head")
"""


@dataclass
class Project:
    """An Alembic environment: its scripts, how it was found, and how to run it."""

    scripts: ScriptDirectory
    layout: str  # "alembic", "flask-migrate", "pyproject", "scripts" or "standalone"
    ini: Path | None = None  # the alembic.ini it was read from
    toml: Path | None = None  # the pyproject.toml with [tool.alembic] it was read from

    def upgrade_command(self, dsn: str) -> tuple[list[str], Path]:
        """(argv, cwd) running ``alembic upgrade head`` on ``dsn`` the way the app does: its own
        env.py, given ``-x dsn=`` and (by the caller) ``DATABASE_URL``."""
        args = [str(self.ini or ""), str(self.toml or ""), str(self.location), dsn]
        config = self.ini or self.toml
        # the app's root: where its people run alembic (or flask db) from
        root = config.parent if config and self.layout not in ("flask-migrate", "scripts") else self.location.parent
        return [sys.executable, "-c", _UPGRADE, *args], root

    @property
    def location(self) -> Path:
        return Path(self.scripts.dir)

    @property
    def standalone(self) -> bool:
        return self.layout == "standalone"

    def heads(self) -> tuple[str, ...]:
        try:
            return tuple(self.scripts.get_heads())
        except CommandError as exc:
            raise AdvisorError(f"cannot read the Alembic history in {self.location}: {exc}") from None

    def head(self) -> str | None:
        """The single head new revisions go on (None: an empty history)."""
        heads = self.heads()
        if len(heads) > 1:
            raise AdvisorError(
                f"the Alembic history in {self.location} has {len(heads)} heads "
                f"({', '.join(sorted(heads))}): merge them first (`alembic merge heads`), then run "
                "advisor again")
        return heads[0] if heads else None

    def version_table(self) -> str:
        """``schema.table`` or ``table`` where the database records its revision (from env.py)."""
        env = self.location / "env.py"
        text = env.read_text(encoding="utf-8", errors="replace") if env.is_file() else ""
        table = _VERSION_TABLE.search(text)
        schema = _VERSION_SCHEMA.search(text)
        name = table.group(1) if table else DEFAULT_VERSION_TABLE
        return f"{schema.group(1)}.{name}" if schema else name


def find_project(path: Path) -> Project | None:
    """The Alembic environment at ``path`` (see the module docstring), or None."""
    path = Path(path)
    try:
        if path.is_file():
            return _from_file(path)
        if not path.is_dir():
            return None
        return (_from_ini_dir(path) or _from_pyproject(path / "pyproject.toml")
                or _flask_migrate(path / "migrations") or _from_scripts(path))
    except CommandError as exc:
        raise AdvisorError(f"{path}: {exc}") from None


def scaffold(directory: Path) -> Project:
    """advisor's standalone environment in ``directory``: alembic.ini, env.py, script.py.mako,
    versions/. Only into a new or empty folder: anything else there is someone's."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise AdvisorError(
            f"{directory} is neither an Alembic project nor empty: give the folder of the app's "
            "Alembic environment (alembic.ini, migrations/ or pyproject.toml with [tool.alembic]), "
            "or a new folder for a standalone project")
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("alembic.ini", "env.py", "script.py.mako"):
        shutil.copyfile(TEMPLATES / "env" / name, directory / name)
    (directory / "versions").mkdir(exist_ok=True)
    return Project(ScriptDirectory(str(directory)), "standalone", ini=directory / "alembic.ini")


# ---------------------------------------------------------------------------------------------
# Finding it
# ---------------------------------------------------------------------------------------------


def _from_file(path: Path) -> Project | None:
    if path.name == "pyproject.toml":
        return _from_pyproject(path, required=True)
    if path.suffix == ".ini":
        return _from_ini(path, required=True)
    raise AdvisorError(f"{path} is neither an alembic.ini nor a pyproject.toml")


def _from_ini_dir(directory: Path) -> Project | None:
    ini = directory / "alembic.ini"
    return _from_ini(ini) if ini.is_file() else None


def _from_ini(ini: Path, required: bool = False) -> Project | None:
    pyproject = ini.parent / "pyproject.toml"
    toml = pyproject if _tool_alembic(pyproject) else None
    config = Config(str(ini), toml_file=str(toml) if toml else None)
    location = config.get_alembic_option("script_location")
    if location:
        _anchor(config, ini.parent, location)
        layout = "alembic" if config.file_config.has_option("alembic", "script_location") else "pyproject"
        return Project(_scripts(config), _standalone_or(ini, layout), ini=ini, toml=toml)
    if (ini.parent / "env.py").is_file():  # Flask-Migrate: the ini lives in the environment
        config.set_main_option("script_location", str(ini.parent))
        return Project(_scripts(config), "flask-migrate", ini=ini)
    if required:
        raise AdvisorError(f"{ini} has no script_location and no env.py beside it: "
                           "not an Alembic configuration")
    return None


def _from_pyproject(pyproject: Path, required: bool = False) -> Project | None:
    if not _tool_alembic(pyproject):
        if required:
            raise AdvisorError(f"{pyproject} has no [tool.alembic] script_location")
        return None
    config = Config(toml_file=str(pyproject))
    _anchor(config, pyproject.parent, config.get_alembic_option("script_location"))
    return Project(_scripts(config), "pyproject", toml=pyproject)


def _flask_migrate(directory: Path) -> Project | None:
    ini = directory / "alembic.ini"
    if ini.is_file() and (directory / "env.py").is_file():
        return _from_ini(ini)
    return None


def _from_scripts(directory: Path) -> Project | None:
    """A script location or a versions folder; its configuration looked for beside and above."""
    if directory.name == "versions" and (directory.parent / "env.py").is_file():
        directory = directory.parent
    if not ((directory / "env.py").is_file() or (directory / "versions").is_dir()):
        return None
    for found in (_from_ini_dir(directory), _from_ini_dir(directory.parent),
                  _from_pyproject(directory.parent / "pyproject.toml")):
        if found is not None and found.location.resolve() == directory.resolve():
            return found
    return Project(ScriptDirectory(str(directory)), "scripts")


def _tool_alembic(pyproject: Path) -> bool:
    if not pyproject.is_file():
        return False
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AdvisorError(f"bad {pyproject}: {exc}") from None
    return bool(data.get("tool", {}).get("alembic", {}).get("script_location"))


def _anchor(config: Config, here: Path, location: str) -> None:
    """A relative script_location is relative to the file, wherever advisor runs from."""
    if ":" not in location and not Path(location).is_absolute():
        config.set_main_option("script_location", str(here / location))


def _scripts(config: Config) -> ScriptDirectory:
    return ScriptDirectory.from_config(config)


def _standalone_or(ini: Path, layout: str) -> str:
    head = ini.read_text(encoding="utf-8", errors="replace")[:200]
    return "standalone" if STANDALONE_MARK in head else layout


# ---------------------------------------------------------------------------------------------
# The database's side
# ---------------------------------------------------------------------------------------------


def check_database(project: Project | None, dsn: str) -> list[str]:
    """Stop when the database is not at the project's head; notes worth saying otherwise.

    ``project`` None: the standalone project about to be written. The advice was made on the
    database's schema and the revision goes on the scripts' head: they must be the same
    revision, or `upgrade head` would apply it to another schema. Read-only.
    """
    from advisor.db import session

    standalone = project is None or project.standalone
    heads = set(project.heads()) if project else set()
    table = project.version_table() if project else STANDALONE_VERSION_TABLE
    with session(dsn) as conn:
        at = _versions(conn, table)
        app_at = _versions(conn, DEFAULT_VERSION_TABLE) if standalone and table != DEFAULT_VERSION_TABLE else None
        conn.rollback()
    if standalone:
        return _check_standalone(project, at, app_at)
    if at is None:
        if not heads:
            return []
        raise AdvisorError(
            f"the database has no {table} table: it is at no revision of the history in "
            f"{project.location} (head {', '.join(sorted(heads))}). If its schema is that head's, "
            "record it with `alembic stamp head` (Flask-Migrate: `flask db stamp head`), then run "
            "advisor again")
    if set(at) != heads:
        raise AdvisorError(_mismatch(project, set(at), heads, table))
    return []


def _versions(conn, table: str) -> list[str] | None:
    if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
        return None
    from psycopg import sql

    parts = [sql.Identifier(p) for p in table.split(".", 1)]
    query = sql.SQL("SELECT version_num FROM {}").format(sql.SQL(".").join(parts))
    return sorted(r[0] for r in conn.execute(query))


def _mismatch(project: Project, at: set[str], heads: set[str], table: str) -> str:
    known = {rev for rev in at if _known(project, rev)}
    where = f"the database's {table} says {', '.join(sorted(at)) or 'nothing'}"
    if known != at:
        return (f"{where}, a revision the history in {project.location} does not have (head "
                f"{', '.join(sorted(heads))}): point --migrations at the history this database was "
                "migrated with, or bring the scripts up to date")
    return (f"{where}, behind the head of {project.location} ({', '.join(sorted(heads))}): apply "
            "the app's pending revisions first (`alembic upgrade head`, Flask-Migrate: `flask db "
            "upgrade`) so the advice is made on the schema the new revision follows, then run "
            "advisor again")


def _known(project: Project, rev: str) -> bool:
    try:
        return project.scripts.get_revision(rev) is not None
    except CommandError:
        return False


def _check_standalone(project: Project | None, at: list[str] | None,
                      app_table: list[str] | None) -> list[str]:
    unknown = [rev for rev in at or () if project is None or not _known(project, rev)]
    if unknown:
        where = project.location if project else "a new folder"
        raise AdvisorError(
            f"the database's {STANDALONE_VERSION_TABLE} says {', '.join(unknown)}, a revision "
            f"{where} does not have: point --migrations at the folder advisor wrote before for "
            "this database")
    if app_table:
        return [f"this database is managed by Alembic ({DEFAULT_VERSION_TABLE} at "
                f"{', '.join(app_table)}): to put the indexes in the app's own history, give "
                "--migrations the app's folder (where alembic.ini, migrations/ or pyproject.toml is)"]
    return []
