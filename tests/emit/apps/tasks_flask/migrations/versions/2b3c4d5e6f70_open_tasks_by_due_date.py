"""open tasks by due date

Revision ID: 2b3c4d5e6f70
Revises: 9f1e2d3c4b5a
Create Date: 2025-02-17 08:03:44.654321

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2b3c4d5e6f70'
down_revision = '9f1e2d3c4b5a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_due_at', [sa.text('due_at DESC')], unique=False,
                              postgresql_where=sa.text("state <> 'done'"))


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_due_at')
