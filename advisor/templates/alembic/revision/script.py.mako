<%doc>
    advisor's revision template: index builds and drops. Rendered by Alembic's
    ScriptDirectory.generate_revision, so the file is named and chained as the project's own.
    `message`, `summary` are docstring-safe; `upgrades`, `downgrades` are indented code.
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


def _drop_invalid_index(schema: str | None, name: str) -> None:
    """Drop what a failed or cancelled build left: an INVALID index that IF NOT EXISTS would keep.

    Offline (--sql) there is no catalog to ask, so the drop is unconditional: an existing valid
    index is then rebuilt, but the script ends right on every re-run.
    """
    if not context.is_offline_mode():
        invalid = op.get_bind().execute(
            sa.text("SELECT NOT i.indisvalid FROM pg_index i"
                    " JOIN pg_class c ON c.oid = i.indexrelid"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = coalesce(:schema, current_schema()) AND c.relname = :name"),
            {"schema": schema, "name": name},
        ).scalar()
        if not invalid:
            return
    op.drop_index(name, schema=schema, postgresql_concurrently=True, if_exists=True)


def upgrade() -> None:
${upgrades}


def downgrade() -> None:
${downgrades}
