"""A throwaway PostgreSQL server for the demo and the tests.

    >>> from advisor.embedded import EmbeddedPostgres
    >>> with EmbeddedPostgres() as pg:          # doctest: +SKIP
    ...     pg.dsn                              # 'postgresql://postgres@127.0.0.1:54321/test'

Built on testing.postgresql. PostgreSQL refuses to run as root, so when we are root, initdb and
the server run as an unprivileged system user (``postgres``) that owns the data directory. The
server gets ``--pdeathsig``: if this process dies without cleaning up, the server shuts down too.
"""

from __future__ import annotations

import atexit
import os
import pwd
import subprocess
import weakref
from pathlib import Path

import psycopg
import testing.postgresql

from advisor.errors import AdvisorError

RUN_AS = "postgres"
LOG_NAME = "server.log"

BASE_SETTINGS = {
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
    "pg_stat_statements.max": "10000",
    "track_io_timing": "on",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "256MB",
    "work_mem": "16MB",
    "maintenance_work_mem": "256MB",
    "max_connections": "100",
    "logging_collector": "off",
    "log_line_prefix": "%m [%p] %c %v %a: ",
    "lc_messages": "C",
}
TRACE_SETTINGS = {"log_min_duration_statement": "0"}

_live: weakref.WeakSet = weakref.WeakSet()


def _as_unprivileged() -> list[str]:
    """The prefix that runs a command as RUN_AS when we are root (empty otherwise)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        raise AdvisorError(
            f"running as root needs the system user {RUN_AS!r} to run PostgreSQL "
            "(install the postgresql package, or run `make install`)"
        ) from None
    return ["setpriv", f"--reuid={RUN_AS}", f"--regid={RUN_AS}", "--init-groups",
            "--pdeathsig=SIGINT"]


def _chown_tree(path: str) -> None:
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam(RUN_AS)
    for root, dirs, files in os.walk(path):
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid, follow_symlinks=False)


class _Server(testing.postgresql.Postgresql):
    """testing.postgresql, made root-safe and free of pg8000."""

    def initialize_database(self):
        _chown_tree(self.base_dir)
        data = os.path.join(self.base_dir, "data")
        if os.path.exists(os.path.join(data, "PG_VERSION")):
            return
        args = [*_as_unprivileged(), self.initdb, "-D", data, "--lc-messages=C",
                "--encoding=UTF8", "--locale=C", "-U", "postgres", "-A", "trust"]
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            raise AdvisorError(f"initdb failed: {done.stderr.strip()}")

    def setup(self):
        super().setup()
        if self.settings.get("hba"):
            Path(self.base_dir, "data", "pg_hba.conf").write_text(self.settings["hba"])
        _chown_tree(self.base_dir)

    def get_server_commandline(self):
        settings = {**BASE_SETTINGS, **self.settings.get("server_settings", {})}
        args = [*_as_unprivileged(), self.postgres,
                "-p", str(self.settings["port"]),
                "-D", os.path.join(self.base_dir, "data"),
                "-k", os.path.join(self.base_dir, "tmp"),
                "-h", "127.0.0.1"]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        return args

    def is_server_available(self):
        try:
            with psycopg.connect(self._dsn("template1"), connect_timeout=2):
                return True
        except psycopg.Error:
            return False

    def poststart(self):
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'test'").fetchone():
                conn.execute("CREATE DATABASE test")

    def _dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.settings['port']}/{database}"


class _Factory(testing.postgresql.PostgresqlFactory):
    target_class = _Server


class EmbeddedPostgres:
    """A throwaway server: started on construction, stopped by ``stop()`` or on exit.

    ``trace=True`` logs every statement (``log_min_duration_statement = 0``) to ``log_path``,
    which is how N+1 traces can be read from the server log. ``hba`` replaces pg_hba.conf
    (the default trusts every local connection).
    """

    _factory: testing.postgresql.PostgresqlFactory | None = None

    def __init__(self, *, trace: bool = False, settings: dict[str, str] | None = None,
                 hba: str | None = None, boot_timeout: float = 30.0):
        server_settings = {**(TRACE_SETTINGS if trace else {}), **(settings or {})}
        try:
            factory = self._cached_factory()
            self._server = _Server(**{**factory.settings, "server_settings": server_settings,
                                      "boot_timeout": boot_timeout, "hba": hba})
        except RuntimeError as exc:
            raise AdvisorError(f"could not start the embedded PostgreSQL: {exc}") from None
        _live.add(self)
        self._install_extensions("test")

    @classmethod
    def _cached_factory(cls) -> testing.postgresql.PostgresqlFactory:
        if cls._factory is None:
            try:
                cls._factory = _Factory(cache_initialized_db=True)
            except RuntimeError as exc:
                raise AdvisorError(
                    f"PostgreSQL server binaries not found ({exc}); run `make install`"
                ) from None
            atexit.register(cls._factory.clear_cache)
        return cls._factory

    @property
    def port(self) -> int:
        return self._server.settings["port"]

    @property
    def dsn(self) -> str:
        return self.dsn_for("test")

    def dsn_for(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    @property
    def log_path(self) -> Path:
        return Path(self._server.base_dir) / f"{self._server.name}.log"

    @property
    def pid(self) -> int | None:
        return self._server.server_pid

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally from ``template``) with the extensions; its DSN."""
        with psycopg.connect(self.dsn_for("postgres"), autocommit=True) as conn:
            clause = f" TEMPLATE {psycopg.sql.Identifier(template).as_string(conn)}" if template else ""
            conn.execute(f"CREATE DATABASE {psycopg.sql.Identifier(name).as_string(conn)}{clause}")
        if not template:
            self._install_extensions(name)
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(
                f"DROP DATABASE IF EXISTS {psycopg.sql.Identifier(name).as_string(conn)} WITH (FORCE)"
            )

    def _install_extensions(self, database: str) -> None:
        with psycopg.connect(self.dsn_for(database), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            for optional in ("hypopg", "pg_trgm"):
                try:
                    conn.execute(f"CREATE EXTENSION IF NOT EXISTS {optional}")
                except psycopg.Error:
                    pass  # reported where it matters: capture lists the extensions present

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> EmbeddedPostgres:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    for server in list(_live):
        server.stop()

