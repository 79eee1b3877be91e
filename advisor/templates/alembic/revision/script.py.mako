<%doc>
    advisor's revision template: index builds and drops. Rendered by Alembic's
    ScriptDirectory.generate_revision, so the file is named and chained as the project's own.
    `message`, `summary` are docstring-safe; `upgrades`, `downgrades` are indented code;
    `partitioned`: a build on a partitioned table, which needs _require_valid.
    `keepers`: a drop of a redundant index, which needs _require_keeper.
</%doc>"""${message}

${summary}

Revision ID: ${up_revision}
Revises:${" " + comma(down_revision) if down_revision else ""}
Create Date: ${create_date}

"""
from alembic import context, op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}

# What this revision does to which indexes (advisor reads it: --prune, and not writing it twice).
advisor_action = ${repr(action)}
advisor_indexes = ${repr(index_names)}

# CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction: the work runs in an autocommit
# block. A concurrent build still waits for locks at its start and end: lock_timeout makes it
# give up quickly on a busy table instead of queueing every writer behind it (re-run later).
# The build itself may rightly take long on a big table, so statement_timeout is lifted for it
# rather than inherited from the role or the server; both are reset when the work is done.
LOCK_TIMEOUT = "5s"


def _set_timeouts() -> None:
    op.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    op.execute("SET statement_timeout = 0")


def _reset_timeouts() -> None:
    """Back to the session's defaults, for the revisions that run after this one."""
    op.execute("RESET lock_timeout")
    op.execute("RESET statement_timeout")


# Looks a name up in the schema: what it is, whether valid, on which table, its key columns,
# access method, whether partial or unique.
_FOUND = (
    "SELECT c.relkind, coalesce(i.indisvalid, false), t.relname,"
    " ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k),"
    " am.amname, i.indpred IS NOT NULL, i.indisunique"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid"
    " LEFT JOIN pg_am am ON am.oid = c.relam"
    " WHERE n.nspname = coalesce(:schema, current_schema()) AND c.relname = :name"
)


def _build_needed(schema: str | None, name: str, table: str, keys: list[str | None] | None, *,
                  method: str = "btree", partial: bool = False, unique: bool = False) -> bool:
    """Whether this revision still has to build index ``name`` on ``table``.

    ``keys``: the key columns it builds (None for an expression). A failed or cancelled earlier
    build left an INVALID index: it is dropped and built again. The same index, valid (an
    earlier, interrupted run built it): kept. Anything else by that name stops the migration:
    IF NOT EXISTS would silently keep the other one, and the downgrade would then drop it.
    Offline (--sql) there is no catalog to ask: the build is written out.
    """
    if context.is_offline_mode():
        return True
    found = op.get_bind().execute(sa.text(_FOUND), {"schema": schema, "name": name}).first()
    if found is None:
        return True
    kind, valid, on_table, found_keys, found_method, found_partial, found_unique = found
    same_keys = keys is None or (len(found_keys) == len(keys) and all(
        want is None or _unquoted(got) == want for got, want in zip(found_keys, keys)))
    same = (kind in ("i", "I") and on_table == table and same_keys and found_method == method
            and found_partial == partial and found_unique == unique)
    if not same:
        raise RuntimeError(
            f"{name!r} already names another relation in schema {schema or 'current_schema()'} "
            f"(not a {method} index on {table!r} by {keys}): rename the index in this revision")
    if kind == "i" and not valid:
        op.drop_index(name, schema=schema, postgresql_concurrently=True)
        return True
    return False


def _unquoted(identifier: str) -> str:
    if len(identifier) > 1 and identifier[0] == identifier[-1] == '"':
        return identifier[1:-1].replace('""', '"')
    return identifier
% if partitioned:


def _require_valid(schema: str | None, name: str) -> None:
    """An index on a partitioned table is valid once every partition has its index attached."""
    if context.is_offline_mode():
        return
    found = op.get_bind().execute(sa.text(_FOUND), {"schema": schema, "name": name}).first()
    if found is None or not found[1]:
        raise RuntimeError(
            f"index {name!r} is not valid: a partition has no index attached to it (one created "
            f"after the advice?). Build one CONCURRENTLY on it, ALTER INDEX {name} ATTACH "
            "PARTITION it, then upgrade again; or run advisor again")
% endif
% if keepers:


def _require_keeper(schema: str | None, name: str, dropping: str) -> None:
    """A redundant index is dropped only while the index that serves its searches is there and
    valid (its build may have failed, or someone dropped it since the advice)."""
    if context.is_offline_mode():
        return
    found = op.get_bind().execute(sa.text(_FOUND), {"schema": schema, "name": name}).first()
    if found is None or found[0] not in ("i", "I") or not found[1]:
        raise RuntimeError(
            f"index {name!r} is missing or not valid: {dropping!r} is dropped as redundant with "
            f"it, and its searches would be left unserved. Build {name} (or run advisor again)")
% endif


def upgrade() -> None:
${upgrades}


def downgrade() -> None:
${downgrades}
