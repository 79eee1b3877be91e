"""ShopEase schema as the team shipped it: keys, foreign keys (no FK indexes) and 7 indexes

The 7 indexes are the team's "performance indexes" (User: 2, Product: 5). Foreign-key columns
are deliberately left unindexed: this is the "before" state the advisor is shown on.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-28 00:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("last_login_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_table(
        "categories",
        _id(),
        _fk("parent_id", nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_categories"),
        sa.ForeignKeyConstraint(["parent_id"], ["categories.id"], name="fk_categories_parent_id"),
        sa.UniqueConstraint("slug", name="uq_categories_slug"),
    )
    op.create_table(
        "sellers",
        _id(),
        _fk("user_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("rating", sa.Numeric(3, 2), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_sellers"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sellers_user_id"),
    )
    op.create_table(
        "products",
        _id(),
        _fk("seller_id"),
        _fk("category_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rating_avg", sa.Numeric(3, 2), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("deleted_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name="fk_products_seller_id"),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], name="fk_products_category_id"),
    )
    op.create_table(
        "addresses",
        _id(),
        _fk("user_id"),
        sa.Column("line1", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("postal_code", sa.String(20), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_addresses"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_addresses_user_id"),
    )
    op.create_table(
        "orders",
        _id(),
        _fk("user_id"),
        _fk("shipping_address_id", nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_orders_user_id"),
        sa.ForeignKeyConstraint(["shipping_address_id"], ["addresses.id"],
                                name="fk_orders_shipping_address_id"),
    )
    op.create_table(
        "order_items",
        _id(),
        _fk("order_id"),
        _fk("product_id"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_items"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_items_order_id"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_order_items_product_id"),
    )
    op.create_table(
        "reviews",
        _id(),
        _fk("product_id"),
        _fk("user_id"),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_reviews_product_id"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_reviews_user_id"),
    )
    op.create_table(
        "carts",
        _id(),
        _fk("user_id"),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_carts"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_carts_user_id"),
    )
    op.create_table(
        "cart_items",
        _id(),
        _fk("cart_id"),
        _fk("product_id"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _ts("added_at"),
        sa.PrimaryKeyConstraint("id", name="pk_cart_items"),
        sa.ForeignKeyConstraint(["cart_id"], ["carts.id"], name="fk_cart_items_cart_id"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_cart_items_product_id"),
    )

    # "Phase 9: 7 indexes (User: 2, Product: 5)"
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_index("ix_users_created_at", "users", ["created_at"])
    op.create_index("ix_products_status", "products", ["status"])
    op.create_index("ix_products_status_price", "products", ["status", "price"])
    op.create_index("ix_products_name", "products", ["name"])
    op.create_index("ix_products_created_at", "products", ["created_at"])
    op.create_index("ix_products_price", "products", ["price"])


def downgrade() -> None:
    """Downgrade schema."""
    for table in ("cart_items", "carts", "reviews", "order_items", "orders", "addresses",
                  "products", "sellers", "categories", "users"):
        op.drop_table(table)
