"""Plan -> Alembic revisions: one index per revision, built concurrently, ready for review.

    >>> paths = write_migrations(plan, Path("migrations"))          # doctest: +SKIP
    >>> # then: alembic -c migrations/alembic.ini -x dsn=postgresql://... upgrade head

``directory`` is either part of an Alembic project (it holds alembic.ini, or it is a script
location with env.py or versions/, or it is a versions folder): the new revisions chain onto its
single head and no existing file is touched; or anything else: a runnable environment is written
there first (alembic.ini, env.py, script.py.mako, versions/).

Files are written by Alembic's own ``ScriptDirectory.generate_revision`` (the project's naming
``file_template``, slug length and post-write hooks), with advisor's template
``advisor/templates/alembic/revision/script.py.mako``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from advisor.emit import revision_ops as ops
from advisor.emit.summaries import revision_summary
from advisor.errors import AdvisorError
from advisor.model import Plan, Recommendation, Snapshot

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "alembic"
MAX_NAME_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL truncates longer names
INDENT = "    "


def write_migrations(plan: Plan, directory: Path, *, batch: bool = False,
                     message_prefix: str = "advisor", snapshot: Snapshot | None = None,
                     queries: Mapping[str, str] | None = None) -> list[Path]:
    """Write the plan's revisions into ``directory``; the new files, in upgrade order.

    ``snapshot`` or ``queries`` (fingerprint -> SQL) let each docstring quote the statements a
    revision serves; without them only fingerprints are named.
    """
    _check_names(plan)
    if not _revision_groups(plan, batch):
        return []
    known = dict(queries or {})
    if snapshot is not None:
        known.update({s.fingerprint: s.query for s in snapshot.statements})
    project = _project(Path(directory))
    head = _single_head(project)
    groups = _revision_groups(_without_written(plan, project), batch)
    written = []
    for recs in groups:
        for rec in recs:
            known.update(rec.evidence.get("queries") or {})
        head, path = _generate(project, head, recs, message_prefix, known)
        written.append(path)
    return written


def _check_names(plan: Plan) -> None:
    for rec in plan.recommendations:
        if not rec.name or len(rec.name.encode()) > MAX_NAME_BYTES:
            raise AdvisorError(f"index name {rec.name!r} is empty or longer than {MAX_NAME_BYTES} bytes: "
                               "PostgreSQL would truncate it and the migration could not find it again")


def _without_written(plan: Plan, scripts: ScriptDirectory) -> Plan:
    """The plan less what an earlier advisor revision in this project already does."""
    done = set()
    for script in scripts.walk_revisions():
        done |= {(getattr(script.module, "advisor_action", "create"), name)
                 for name in getattr(script.module, "advisor_indexes", None) or ()}
    return Plan(recommendations=[r for r in plan.recommendations if (r.action, r.name) not in done])


def _revision_groups(plan: Plan, batch: bool) -> list[list[Recommendation]]:
    """Creates (most beneficial first) before drops, so a replacement exists before its twin goes."""
    creates = sorted((r for r in plan.recommendations if r.action == "create"), key=lambda r: -r.benefit)
    drops = [r for r in plan.recommendations if r.action == "drop"]
    unknown = [r.action for r in plan.recommendations if r.action not in ("create", "drop")]
    if unknown:
        raise AdvisorError(f"cannot write a migration for action {unknown[0]!r}")
    if batch:
        return [group for group in (creates, drops) if group]
    return [[r] for r in creates + drops]


# ---------------------------------------------------------------------------------------------
# The Alembic project: found or scaffolded
# ---------------------------------------------------------------------------------------------


def _project(directory: Path) -> ScriptDirectory:
    """The project's scripts, rendering with advisor's template into the project's versions."""
    try:
        scripts = _existing(directory) or _scaffold(directory)
        locations = scripts.version_locations or [str(Path(scripts.dir) / "versions")]
        return ScriptDirectory(
            TEMPLATES / "revision", file_template=scripts.file_template,
            truncate_slug_length=scripts.truncate_slug_length, version_locations=locations,
            output_encoding=scripts.output_encoding, timezone=scripts.timezone, hooks=scripts.hooks,
            recursive_version_locations=scripts.recursive_version_locations,
            messaging_opts={"quiet": True})
    except CommandError as exc:
        raise AdvisorError(f"{directory}: {exc}") from None


def _existing(directory: Path) -> ScriptDirectory | None:
    ini = directory / "alembic.ini"
    if ini.is_file():
        config = Config(str(ini))
        location = config.get_main_option("script_location")
        if not location:
            raise AdvisorError(f"{ini} has no script_location: not an Alembic configuration")
        if ":" not in location and not Path(location).is_absolute():
            config.set_main_option("script_location", str(directory / location))
        return ScriptDirectory.from_config(config)
    if (directory / "env.py").is_file() or (directory / "versions").is_dir():
        return ScriptDirectory(str(directory))
    if directory.name == "versions" and (directory.parent / "env.py").is_file():
        return ScriptDirectory(str(directory.parent))
    return None


def _scaffold(directory: Path) -> ScriptDirectory:
    """A runnable environment: alembic.ini, env.py, script.py.mako and versions/ in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("alembic.ini", "env.py", "script.py.mako"):
        shutil.copyfile(TEMPLATES / "env" / name, directory / name)
    (directory / "versions").mkdir(exist_ok=True)
    return ScriptDirectory(str(directory))


def _single_head(scripts: ScriptDirectory) -> str | None:
    try:
        heads = scripts.get_heads()
    except CommandError as exc:
        raise AdvisorError(f"cannot read the Alembic history: {exc}") from None
    if len(heads) > 1:
        raise AdvisorError(
            f"the Alembic history has {len(heads)} heads ({', '.join(sorted(heads))}): merge them "
            "first (`alembic merge heads`), then run advisor again")
    return heads[0] if heads else None


# ---------------------------------------------------------------------------------------------
# One revision
# ---------------------------------------------------------------------------------------------


def _generate(scripts: ScriptDirectory, head: str | None, recs: list[Recommendation], prefix: str,
              queries: Mapping[str, str]) -> tuple[str, Path]:
    names = [r.name for r in recs]
    rev_id = hashlib.sha1(f"{head}:{'|'.join(names)}".encode()).hexdigest()[:12]
    verb = "create" if recs[0].action == "create" else "drop"
    what = names[0] if len(names) == 1 else f"{len(names)} indexes"
    message = _docstring_safe(f"{prefix}: {verb} {what}".strip(": "))
    upgrades, downgrades = (_create_bodies if verb == "create" else _drop_bodies)(recs)
    try:
        script = scripts.generate_revision(
            rev_id, message, head=head or "base", splice=False,
            summary=_docstring_safe(revision_summary(recs, queries)),
            index_names=names, action=verb, upgrades="\n".join(upgrades), downgrades="\n".join(downgrades))
    except CommandError as exc:
        raise AdvisorError(f"cannot write the revision for {what}: {exc}") from None
    return rev_id, Path(script.path)


def _docstring_safe(text: str) -> str:
    """Only a backslash or three quotes in a row can break out of a docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _autocommit(body: Iterable[str]) -> list[str]:
    pad = INDENT * 2
    return [f"{INDENT}with op.get_context().autocommit_block():", f"{pad}_set_timeouts()",
            *(pad + line if line else "" for line in body), f"{pad}_reset_timeouts()"]


def _create_bodies(recs: list[Recommendation]) -> tuple[list[str], list[str]]:
    up, down = [], []
    for rec in recs:
        schema, _ = ops.split_table(rec.index.table if rec.index else rec.table)
        if rec.requires_extension:
            up.append(f"# {rec.requires_extension} provides the operator class; needs CREATE privilege.")
            up.append(f"op.execute({_extension_sql(rec.requires_extension)!r})")
        up.append(f"_drop_invalid_index({schema!r}, {rec.name!r})")
        up += ops.create_index_call(rec)
        down.append(ops.drop_index_call(schema, rec.name))
    return _autocommit(up), _autocommit(reversed(down))


def _drop_bodies(recs: list[Recommendation]) -> tuple[list[str], list[str]]:
    up, down = [], []
    for rec in recs:
        schema, _ = ops.split_table(rec.table)
        up += [f"# {line}" for line in _evidence_lines(rec)]
        up.append(ops.drop_index_call(schema, rec.name))
        down.append(f"_drop_invalid_index({schema!r}, {rec.name!r})")
        definition = rec.evidence.get("definition")
        if definition:
            down.append(f"op.execute({ops.text_call(ops.concurrent_definition(definition))})")
        elif rec.index is not None:
            down += ops.create_index_call(rec)
        else:
            raise AdvisorError(f"the drop of {rec.name} carries no definition to recreate it from "
                               "(evidence.definition)")
    return _autocommit(up), _autocommit(down)


def _extension_sql(name: str) -> str:
    from advisor.ddl import quote_ident

    return f"CREATE EXTENSION IF NOT EXISTS {quote_ident(name)}"


def _evidence_lines(rec: Recommendation) -> list[str]:
    lines = [f"Why: {rec.reason}"] if rec.reason else []
    for key, value in rec.evidence.items():
        if key not in ("definition", "queries", "plan_after", "plan_before"):
            lines.append(f"{key}: {value}")
    return [line.replace("\n", " ") for line in lines]


# ---------------------------------------------------------------------------------------------
# Pruning (validate: revisions of indexes that did not help)
# ---------------------------------------------------------------------------------------------


def remove_index_revisions(directory: Path, names: Iterable[str]) -> list[Path]:
    """Delete advisor revisions whose indexes are all in ``names``; re-chain their children.

    Only files with an ``advisor_indexes`` list are candidates; a batch revision that also holds
    an index not in ``names`` is kept whole.
    """
    unwanted = set(names)
    scripts = _existing(Path(directory))
    if scripts is None:
        raise AdvisorError(f"{directory} is not an Alembic project")
    removed = []
    for script in list(scripts.walk_revisions()):
        built = getattr(script.module, "advisor_indexes", None)
        if not built or not set(built) <= unwanted:
            continue
        parent = script.down_revision
        for child_id in script.nextrev:
            _rechain(Path(scripts.get_revision(child_id).path), script.revision, parent)
        Path(script.path).unlink()
        removed.append(Path(script.path))
        scripts = _existing(Path(directory))  # the map changed: read it again
    return removed


def _rechain(path: Path, old: str, new: str | tuple | None) -> None:
    text = path.read_text(encoding="utf-8")
    text = re.sub(rf"""^(down_revision(?:\s*:[^=\n]+)?\s*=\s*)(['"]){re.escape(old)}\2[ \t]*$""",
                  lambda m: f"{m.group(1)}{new!r}", text, count=1, flags=re.MULTILINE)
    text = re.sub(rf"^Revises: {re.escape(old)}$", f"Revises:{' ' + new if new else ''}", text, count=1,
                  flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")
