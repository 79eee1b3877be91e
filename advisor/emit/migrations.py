"""Plan -> Alembic revisions in the app's own history: the index builds as one revision on its
head, built concurrently, ready for review.

    >>> paths = write_migrations(plan, Path("."), dsn=dsn)          # doctest: +SKIP
    >>> # then, as the app always migrates: alembic upgrade head  (Flask-Migrate: flask db upgrade)

``directory`` is where the app's Alembic environment is (its root, its migrations folder, an
alembic.ini or a pyproject.toml with [tool.alembic]: see ``advisor.emit.alembic_project``): the
revision goes on the history's single head, named by the app's ``file_template``, and no
existing file is touched. Anything else (a new or empty folder) gets advisor's standalone
project, for a database without Alembic; it records its revisions in ``advisor_version``.

With ``dsn``, the database must be at the history's head (read-only check): the advice was made
on its schema. Creates are one revision (``split``: one per index); drops are written only when
asked (``drops``), in a revision of their own after the builds. Files are written by Alembic's own
``ScriptDirectory.generate_revision`` (the project's naming ``file_template``, slug length and
post-write hooks), with advisor's template ``advisor/templates/alembic/revision/script.py.mako``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from advisor.emit import revision_ops as ops
from advisor.emit.alembic_project import TEMPLATES, Project, check_database, find_project, scaffold
from advisor.emit.summaries import revision_summary
from advisor.errors import AdvisorError
from advisor.model import Plan, Recommendation, Snapshot

MAX_NAME_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL truncates longer names
INDENT = "    "


def write_migrations(plan: Plan, directory: Path, *, split: bool = False, drops: bool = False,
                     message_prefix: str = "advisor", snapshot: Snapshot | None = None,
                     queries: Mapping[str, str] | None = None, dsn: str | None = None,
                     notes: list[str] | None = None) -> list[Path]:
    """Write the plan's revisions into the project at ``directory``; the new files, in upgrade order.

    ``snapshot`` or ``queries`` (fingerprint -> SQL) let each docstring quote the statements a
    revision serves; without them only fingerprints are named. ``notes`` gets what is worth
    telling about the project and the database.
    """
    _check_names(plan)
    if not _revision_groups(plan, split, drops):
        return []
    known = dict(queries or {})
    if snapshot is not None:
        known.update({s.fingerprint: s.query for s in snapshot.statements})
    found = find_project(Path(directory))
    if dsn:
        (notes if notes is not None else []).extend(check_database(found, dsn))
    project = found or scaffold(Path(directory))
    scripts = _renderer(project)
    head = project.head()
    written = []
    for recs in _revision_groups(_without_written(plan, project.scripts), split, drops):
        for rec in recs:
            known.update(rec.evidence.get("queries") or {})
        head, path = _generate(scripts, head, recs, message_prefix, known)
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


def _revision_groups(plan: Plan, split: bool, drops: bool) -> list[list[Recommendation]]:
    """Creates (most beneficial first), then drops when asked, so a replacement exists before its
    twin goes; one revision for each kind, or one per index (``split``)."""
    creates = sorted((r for r in plan.recommendations if r.action == "create"), key=lambda r: -r.benefit)
    dropped = [r for r in plan.recommendations if r.action == "drop"] if drops else []
    unknown = [r.action for r in plan.recommendations if r.action not in ("create", "drop")]
    if unknown:
        raise AdvisorError(f"cannot write a migration for action {unknown[0]!r}")
    if split:
        return [[r] for r in creates + dropped]
    return [group for group in (creates, dropped) if group]


def _renderer(project: Project) -> ScriptDirectory:
    """The project's scripts, rendering with advisor's template into the project's versions."""
    scripts = project.scripts
    locations = scripts.version_locations or [str(Path(scripts.dir) / "versions")]
    try:
        return ScriptDirectory(
            TEMPLATES / "revision", file_template=scripts.file_template,
            truncate_slug_length=scripts.truncate_slug_length, version_locations=locations,
            output_encoding=scripts.output_encoding, timezone=scripts.timezone, hooks=scripts.hooks,
            recursive_version_locations=scripts.recursive_version_locations,
            messaging_opts={"quiet": True})
    except CommandError as exc:
        raise AdvisorError(f"{project.location}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# One revision
# ---------------------------------------------------------------------------------------------


def _generate(scripts: ScriptDirectory, head: str | None, recs: list[Recommendation], prefix: str,
              queries: Mapping[str, str], rev_id: str | None = None) -> tuple[str, Path]:
    names = [r.name for r in recs]
    rev_id = rev_id or hashlib.sha1(f"{head}:{'|'.join(names)}".encode()).hexdigest()[:12]
    verb = "create" if recs[0].action == "create" else "drop"
    what = names[0] if len(names) == 1 else f"{len(names)} indexes"
    message = _docstring_safe(f"{prefix}: {verb} {what}".strip(": "))
    upgrades, downgrades = (_create_bodies if verb == "create" else _drop_bodies)(recs)
    try:
        script = scripts.generate_revision(
            rev_id, message, head=head or "base", splice=False,
            summary=_docstring_safe(revision_summary(recs, queries)),
            index_names=names, action=verb, upgrades="\n".join(upgrades), downgrades="\n".join(downgrades),
            partitioned=any(r.partitions for r in recs),
            keepers=verb == "drop" and any(_keeper(r) for r in recs))
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
        up += ops.create_index_call(rec)
        block = [ops.drop_index_call(schema, rec.name, partitioned=bool(rec.partitions))]
        if rec.partitions:
            block[:0] = ["# A partitioned table's index cannot be dropped concurrently: this locks the table",
                         "# and its partitions briefly (ACCESS EXCLUSIVE) and drops their indexes with it."]
        down.append(block)
    return _autocommit(up), _autocommit(line for block in reversed(down) for line in block)


def _drop_bodies(recs: list[Recommendation]) -> tuple[list[str], list[str]]:
    up, down = [], []
    for rec in recs:
        schema, _ = ops.split_table(rec.table)
        up += [f"# {line}" for line in _evidence_lines(rec)]
        keeper = _keeper(rec)
        if keeper:
            up.append(f"_require_keeper({keeper[0]!r}, {keeper[1]!r}, {rec.name!r})")
        up.append(ops.drop_index_call(schema, rec.name))
        definition = rec.evidence.get("definition")
        if definition:
            columns = rec.evidence.get("columns")
            down.append(ops.guard(rec.table, rec.name, [ops.plain_key(c) for c in columns] if columns else None,
                                  rec.evidence.get("method"), " WHERE " in definition,
                                  definition.upper().startswith("CREATE UNIQUE")))
            down.append(f"{INDENT}op.execute({ops.text_call(ops.concurrent_definition(definition))})")
        elif rec.index is not None:
            down += ops.create_index_call(rec)
        else:
            raise AdvisorError(f"the drop of {rec.name} carries no definition to recreate it from "
                               "(evidence.definition)")
    return _autocommit(up), _autocommit(down)


def _keeper(rec: Recommendation) -> tuple[str | None, str] | None:
    """(schema, name) of the index that makes a redundant drop redundant; None for an unused one."""
    kept = rec.evidence.get("kept") if rec.action == "drop" else None
    return ops.split_table(kept) if kept else None


def _extension_sql(name: str) -> str:
    from advisor.ddl import quote_ident

    return f"CREATE EXTENSION IF NOT EXISTS {quote_ident(name)}"


def _evidence_lines(rec: Recommendation) -> list[str]:
    lines = [f"Why: {rec.reason}"] if rec.reason else []
    if rec.risk:
        lines.append(f"Risk: {rec.risk}")
    for key, value in rec.evidence.items():
        if key not in ("definition", "queries", "plan_after", "plan_before"):
            lines.append(f"{key}: {value}")
    return [line.replace("\n", " ") for line in lines]


# ---------------------------------------------------------------------------------------------
# Pruning (validate: revisions of indexes that did not help)
# ---------------------------------------------------------------------------------------------


def remove_index_revisions(directory: Path, names: Iterable[str], plan: Plan | None = None,
                           queries: Mapping[str, str] | None = None) -> list[Path]:
    """Take the indexes in ``names`` out of advisor's revisions; the files deleted or rewritten.

    Only files with an ``advisor_indexes`` list are touched. One whose indexes are all unwanted
    is deleted and its children re-chained. One that also builds others is written again without
    the unwanted ones (same revision id, same place in the history) when ``plan`` has all its
    indexes and nothing follows it; else it is kept whole.
    """
    unwanted = set(names)
    project = find_project(Path(directory))
    if project is None:
        raise AdvisorError(f"{directory} is not an Alembic project")
    removed = []
    for script in list(project.scripts.walk_revisions()):
        built = getattr(script.module, "advisor_indexes", None)
        if not built or not set(built) & unwanted:
            continue
        if set(built) <= unwanted:
            parent = script.down_revision
            for child_id in script.nextrev:
                _rechain(Path(project.scripts.get_revision(child_id).path), script.revision, parent)
            Path(script.path).unlink()
        elif not _rewrite(project, script, built, unwanted, plan, queries or {}):
            continue
        removed.append(Path(script.path))
        project = find_project(Path(directory))  # the map changed: read it again
    return removed


def _rewrite(project: Project, script, built: list[str], unwanted: set[str], plan: Plan | None,
             queries: Mapping[str, str]) -> bool:
    action = getattr(script.module, "advisor_action", "create")
    recs = {r.name: r for r in (plan.recommendations if plan else []) if r.action == action}
    if script.nextrev or not set(built) <= set(recs):
        return False
    old = Path(script.path)
    text = old.read_text(encoding="utf-8")
    old.unlink()
    try:
        _generate(_renderer(project), script.down_revision,
                  [recs[n] for n in built if n not in unwanted], "advisor", queries, script.revision)
    except Exception:
        old.write_text(text, encoding="utf-8")
        raise
    return True


def _rechain(path: Path, old: str, new: str | tuple | None) -> None:
    text = path.read_text(encoding="utf-8")
    text = re.sub(rf"""^(down_revision(?:\s*:[^=\n]+)?\s*=\s*)(['"]){re.escape(old)}\2[ \t]*$""",
                  lambda m: f"{m.group(1)}{new!r}", text, count=1, flags=re.MULTILINE)
    text = re.sub(rf"^Revises: {re.escape(old)}$", f"Revises:{' ' + new if new else ''}", text, count=1,
                  flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")
