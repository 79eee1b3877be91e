"""The problems planted in ShopEase, as data: what the advisor should find and the ideal fix.

    >>> from app_under_test.planted import PLANTED, by_kind
    >>> [p.table for p in by_kind("missing_index")][:3]
    ['products', 'reviews', 'orders']

``PLANTED.md`` explains each one; tests of the analysis and recommendation stages compare their
output against this list. ``columns`` use the index-definition spelling (``created_at DESC``,
``lower(email)``); ``acceptable`` lists other column lists that fix the problem less well.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Plant:
    id: str
    kind: str  # missing_index | expression_index | trigram_index | partial_index | redundant_index
    #            | unused_index | no_index_helps | tiny_table | n_plus_one
    table: str
    columns: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    ideal: str = ""  # the DDL (or code change) that fixes it best
    acceptable: tuple[tuple[str, ...], ...] = ()
    where: str | None = None  # partial-index predicate
    using: str = "btree"
    note: str = ""
    relations: tuple[str, ...] = field(default=())  # N+1: the lazy relationship(s) loaded in a loop
    eager_queries: int = 0  # N+1: queries per request with the eager fix, whatever N is


PLANTED: tuple[Plant, ...] = (
    Plant("P1", "missing_index", "products", ("category_id", "created_at DESC"), ("list_products",),
          "CREATE INDEX ON products (category_id, created_at DESC)", (("category_id", "created_at"),
                                                                     ("category_id",)),
          note="today: backward scan of ix_products_created_at filtering category_id"),
    Plant("P2", "missing_index", "reviews", ("product_id", "created_at DESC"), ("product_detail",),
          "CREATE INDEX ON reviews (product_id, created_at DESC)", (("product_id", "created_at"),
                                                                   ("product_id",))),
    Plant("P3", "missing_index", "orders", ("user_id", "created_at DESC"), ("order_history",),
          "CREATE INDEX ON orders (user_id, created_at DESC)", (("user_id", "created_at"), ("user_id",))),
    Plant("P4", "missing_index", "order_items", ("order_id",), ("order_history", "seller_dashboard"),
          "CREATE INDEX ON order_items (order_id)",
          note="the lazy load of Order.items: WHERE $1 = order_items.order_id, once per order"),
    Plant("P5", "missing_index", "order_items", ("product_id",), ("seller_dashboard",),
          "CREATE INDEX ON order_items (product_id)"),
    Plant("P6", "missing_index", "products", ("seller_id", "created_at DESC"), ("seller_dashboard",),
          "CREATE INDEX ON products (seller_id, created_at DESC)", (("seller_id", "created_at"),
                                                                   ("seller_id",)),
          note="serves both WHERE seller_id = $1 ORDER BY created_at DESC LIMIT 50 and the count"),
    Plant("P7", "missing_index", "cart_items", ("cart_id",), ("view_cart", "checkout"),
          "CREATE INDEX ON cart_items (cart_id)"),
    Plant("P8", "expression_index", "users", ("lower(email)",), ("login",),
          "CREATE INDEX ON users (lower(email))",
          note="ix_users_email (plain, case-sensitive) cannot serve lower(email) = lower($1); "
               "a UNIQUE expression index would also enforce case-insensitive uniqueness"),
    Plant("P9", "trigram_index", "products", ("name gin_trgm_ops",), ("search_products",),
          "CREATE INDEX ON products USING gin (name gin_trgm_ops)", using="gin",
          note="needs the pg_trgm extension; ix_products_name (btree) cannot serve ILIKE '%term%'"),
    Plant("P10", "partial_index", "orders", ("created_at",), ("pending_orders",),
          "CREATE INDEX ON orders (created_at) WHERE status = 'pending'", (("status", "created_at"),),
          where="status = 'pending'", note="~2 % of orders are pending"),
    Plant("P11", "missing_index", "carts", ("user_id",), ("view_cart", "checkout"),
          "CREATE INDEX ON carts (user_id)", note="50k rows at scale 1: a few ms per seq scan"),
    Plant("P12", "missing_index", "addresses", ("user_id",), ("checkout",),
          "CREATE INDEX ON addresses (user_id)", note="small gain: checkout is ~4 % of requests"),
    Plant("R1", "redundant_index", "products", ("status",), (),
          "DROP INDEX ix_products_status", note="prefix of ix_products_status_price"),
    Plant("U1", "unused_index", "products", ("price",), (),
          "DROP INDEX ix_products_price",
          note="nothing filters or sorts on price alone; cheap_products uses (status, price)"),
    Plant("U2", "unused_index", "products", ("name",), (),
          "DROP INDEX ix_products_name", note="only ILIKE '%term%' touches name; keep if P9 is not made"),
    Plant("U3", "unused_index", "users", ("created_at",), (),
          "DROP INDEX ix_users_created_at", note="no statement of the workload uses it"),
    Plant("L1", "no_index_helps", "products", ("status",), ("list_products", "search_products"),
          note="status = 'active' keeps ~95 % of rows"),
    Plant("L2", "no_index_helps", "orders", ("status",), ("seller_dashboard",),
          note="status = 'delivered' keeps ~80 % of rows"),
    Plant("T1", "tiny_table", "categories", (), ("product_detail",), note="60 rows: seq scans are right"),
    Plant("N1", "n_plus_one", "sellers", (), ("list_products",), "joinedload(Product.seller)",
          relations=("Product.seller",), eager_queries=1),
    Plant("N2", "n_plus_one", "users", (), ("product_detail",), "selectinload(Review.user)",
          relations=("Review.user",), eager_queries=3),
    Plant("N3", "n_plus_one", "order_items", (), ("order_history",),
          "selectinload(Order.items).selectinload(OrderItem.product)",
          relations=("Order.items", "OrderItem.product"), eager_queries=3),
    Plant("N4", "n_plus_one", "products", (), ("view_cart",),
          "selectinload(Cart.items).joinedload(CartItem.product)", relations=("CartItem.product",),
          eager_queries=2),
)

INDEX_KINDS = ("missing_index", "expression_index", "trigram_index", "partial_index")


def by_kind(*kinds: str) -> list[Plant]:
    """The plants of the given kinds, in order."""
    return [plant for plant in PLANTED if plant.kind in kinds]
