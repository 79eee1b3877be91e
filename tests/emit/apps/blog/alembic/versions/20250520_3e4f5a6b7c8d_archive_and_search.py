"""archived posts, full-text search on titles

Revision ID: 3e4f5a6b7c8d
Revises: 7c8d9e0f1a2b
Create Date: 2025-05-20 09:15:03.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "3e4f5a6b7c8d"
down_revision: Union[str, Sequence[str], None] = "7c8d9e0f1a2b"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "archived_posts",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
    )
    # copied from the posts table's first draft, name and all
    op.create_index("ix_posts_title", "archived_posts", ["title"])
    op.create_index("ix_posts_title_fts", "posts", [sa.text("to_tsvector('english', title)")],
                    postgresql_using="gin")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_posts_title_fts", table_name="posts")
    op.drop_index("ix_posts_title", table_name="archived_posts")
    op.drop_table("archived_posts")
