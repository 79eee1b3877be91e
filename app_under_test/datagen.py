"""Fill a ShopEase database with deterministic, realistically skewed data.

    >>> from app_under_test import datagen
    >>> datagen.generate("postgresql://postgres@127.0.0.1:5432/shop", scale=0.05)  # doctest: +SKIP
    {'users': 5000, 'addresses': 6000, ...}

Same ``seed`` and ``scale`` give byte-identical tables: one ``random.Random(seed)`` drives every
choice and timestamps count back from a fixed ``BASE_TIME``. Popularity is Zipf-like: a few
products get most reviews and order lines, a few users place most orders, a few categories and
sellers hold most products. Tables are truncated, loaded with ``COPY ... FREEZE`` in one
transaction (foreign-key triggers are skipped when the role may do so), their sequences moved
past the loaded ids, then ``ANALYZE``d. Scale 1 is about 2.5 million rows.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from app_under_test import words
from app_under_test.models import TABLES

BASE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
HISTORY_DAYS = 730

# Rows at scale 1.
SIZES = {
    "users": 100_000,
    "addresses": 120_000,
    "sellers": 2_000,
    "products": 200_000,
    "orders": 300_000,
    "reviews": 500_000,
    "carts": 50_000,
}
ITEMS_PER_ORDER = ([1, 2, 3, 4, 5, 6], [22, 22, 20, 14, 12, 10])  # mean 3.02
ITEMS_PER_CART = ([1, 2, 3, 4, 5], [15, 20, 30, 20, 15])  # mean 3
PRODUCT_STATUS = (["active", "draft", "archived"], [95, 3, 2])
REVIEW_RATINGS = ([1, 2, 3, 4, 5], [6, 6, 12, 30, 46])
# Zipf-like popularity: weight of rank r (1-based) is (r + offset) ** -exponent.
SKEW = {
    "product": (20, 0.95),
    "buyer": (5, 0.7),
    "reviewer": (10, 0.6),
    "seller": (3, 0.8),
    "category": (2, 1.0),
}


def generate(dsn: str, scale: float = 1.0, seed: int = 42) -> dict[str, int]:
    """Replace the data in the ShopEase database at ``dsn``; the row count of each table."""
    data = build(scale, seed)
    with psycopg.connect(dsn) as conn:
        _skip_fk_triggers(conn)
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        for table in TABLES:
            _copy(conn, table, data.columns[table], data.rows[table])
        for table in TABLES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return {table: len(data.rows[table]) for table in TABLES}


def _skip_fk_triggers(conn: psycopg.Connection) -> None:
    """Skip per-row foreign-key checks while loading (generated ids are consistent) if allowed."""
    superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if superuser and superuser[0]:
        conn.execute("SET LOCAL session_replication_role = replica")


def _copy(conn: psycopg.Connection, table: str, columns: list[str], rows: list[str]) -> None:
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FREEZE)") as copy:
            for start in range(0, len(rows), 20_000):
                copy.write("".join(rows[start:start + 20_000]))


@dataclass
class Data:
    """Generated rows, as COPY text lines, by table."""

    columns: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)

    def add(self, table: str, columns: list[str], rows: list[str]) -> None:
        self.columns[table] = columns
        self.rows[table] = rows


def build(scale: float, seed: int) -> Data:
    """All rows for ``scale``/``seed``, without touching a database."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = random.Random(seed)
    n = {table: max(5, round(size * scale)) for table, size in SIZES.items()}
    data = Data()
    users = _users(rng, n["users"], data)
    _addresses(rng, users, n["addresses"], data)
    sellers = _sellers(rng, users, n["sellers"], data)
    leaves = _categories(data)
    products = _products(rng, n["products"], sellers, leaves, n["reviews"], users, data)
    _orders(rng, n["orders"], users, products, data)
    _carts(rng, n["carts"], users, products, data)
    return data


# -- helpers ---------------------------------------------------------------------------------

_BASE_EPOCH = int(BASE_TIME.timestamp())
_HISTORY_S = HISTORY_DAYS * 86_400


def _ts(seconds_ago: int) -> str:
    return datetime.fromtimestamp(_BASE_EPOCH - seconds_ago, UTC).isoformat(sep=" ")


class Zipf:
    """Draw ids with Zipf-like popularity; the popularity order is a seeded shuffle of ``ids``."""

    def __init__(self, rng: random.Random, ids: list[int], kind: str):
        offset, exponent = SKEW[kind]
        self.ids = list(ids)
        rng.shuffle(self.ids)
        self.cum = list(itertools.accumulate((r + offset) ** -exponent for r in range(1, len(ids) + 1)))
        self.rng = rng

    def draw(self, k: int) -> list[int]:
        return self.rng.choices(self.ids, cum_weights=self.cum, k=k)

    def one(self) -> int:
        return self.ids[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]


@dataclass
class Users:
    ids: list[int]
    created: list[int]  # seconds before BASE_TIME, by id - 1
    default_address: list[int]


def _users(rng: random.Random, count: int, data: Data) -> Users:
    rows, created = [], []
    for uid in range(1, count + 1):
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        local = f"{first}.{last}{uid}"
        case = rng.random()
        if case < 0.45:
            local = local.lower()
        elif case < 0.55:
            local = local.upper()
        email = f"{local}@{rng.choice(words.EMAIL_DOMAINS)}"
        ago = rng.randrange(_HISTORY_S)
        created.append(ago)
        active = "t" if rng.random() < 0.97 else "f"
        last_login = _ts(rng.randrange(ago + 1)) if rng.random() < 0.8 else "\\N"
        rows.append(f"{uid}\t{email}\t{first} {last}\t{active}\t{_ts(ago)}\t{last_login}\n")
    data.add("users", ["id", "email", "full_name", "is_active", "created_at", "last_login_at"], rows)
    return Users(list(range(1, count + 1)), created, list(range(1, count + 1)))


def _addresses(rng: random.Random, users: Users, count: int, data: Data) -> None:
    owners = users.ids + [rng.choice(users.ids) for _ in range(max(0, count - len(users.ids)))]
    rows = []
    for aid, uid in enumerate(owners, start=1):
        city, country = rng.choice(words.CITIES)
        line1 = f"{rng.randrange(1, 300)} {rng.choice(words.STREETS)}"
        default = "t" if aid <= len(users.ids) else "f"
        rows.append(f"{aid}\t{uid}\t{line1}\t{city}\t{rng.randrange(10000, 99999)}\t{country}\t{default}\n")
    data.add("addresses", ["id", "user_id", "line1", "city", "postal_code", "country", "is_default"], rows)


def _sellers(rng: random.Random, users: Users, count: int, data: Data) -> Zipf:
    owners = rng.sample(users.ids, min(count, len(users.ids)))
    rows = []
    for sid, uid in enumerate(owners, start=1):
        name = f"{rng.choice(words.BRANDS)} {rng.choice(['Store', 'Shop', 'Goods', 'Outlet', 'Co'])} {sid}"
        rating = f"{rng.uniform(3.0, 5.0):.2f}"
        ago = rng.randrange(users.created[uid - 1] + 1)
        rows.append(f"{sid}\t{uid}\t{name}\t{rating}\t{_ts(ago)}\n")
    data.add("sellers", ["id", "user_id", "name", "rating", "created_at"], rows)
    return Zipf(rng, list(range(1, len(owners) + 1)), "seller")


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def _categories(data: Data) -> list[int]:
    rows, leaves = [], []
    roots = list(words.CATEGORY_TREE)
    for cid, root in enumerate(roots, start=1):
        rows.append(f"{cid}\t\\N\t{root}\t{_slug(root)}\n")
    cid = len(roots)
    for parent, root in enumerate(roots, start=1):
        for child in words.CATEGORY_TREE[root]:
            cid += 1
            leaves.append(cid)
            rows.append(f"{cid}\t{parent}\t{child}\t{_slug(root)}-{_slug(child)}\n")
    data.add("categories", ["id", "parent_id", "name", "slug"], rows)
    return leaves


@dataclass
class Products:
    popular: Zipf
    price: list[str]  # by id - 1
    created: list[int]


def _products(rng, count, sellers: Zipf, leaves, review_count, users: Users, data: Data) -> Products:
    categories = Zipf(rng, leaves, "category")
    # Ids follow creation time (oldest first), as in an app that has been running for two years.
    created = sorted((rng.randrange(_HISTORY_S) for _ in range(count)), reverse=True)
    prices = [f"{min(4999.0, max(0.99, rng.lognormvariate(3.3, 1.0))):.2f}" for _ in range(count)]
    products = Products(Zipf(rng, list(range(1, count + 1)), "product"), prices, created)
    ratings = _reviews(rng, products, review_count, users, data)
    seller_ids, category_ids = sellers.draw(count), categories.draw(count)
    statuses = rng.choices(*PRODUCT_STATUS, k=count)
    rows = []
    for i in range(count):
        pid = i + 1
        name = (f"{rng.choice(words.BRANDS)} {rng.choice(words.ADJECTIVES)} "
                f"{rng.choice(words.MATERIALS)} {rng.choice(words.NOUNS)}")
        description = " ".join(rng.choices(words.REVIEW_WORDS, k=12))
        n_reviews, total = ratings.get(pid, (0, 0))
        avg = f"{total / n_reviews:.2f}" if n_reviews else "0.00"
        updated = rng.randrange(created[i] + 1)
        deleted = _ts(rng.randrange(updated + 1)) if statuses[i] == "archived" and rng.random() < 0.5 else "\\N"
        rows.append(
            f"{pid}\t{seller_ids[i]}\t{category_ids[i]}\t{name}\t{description}\t{prices[i]}\t"
            f"{rng.randrange(500)}\t{statuses[i]}\t{avg}\t{n_reviews}\t{_ts(created[i])}\t"
            f"{_ts(updated)}\t{deleted}\n"
        )
    data.add("products", ["id", "seller_id", "category_id", "name", "description", "price", "stock",
                          "status", "rating_avg", "review_count", "created_at", "updated_at",
                          "deleted_at"], rows)
    return products


def _reviews(rng, products: Products, count: int, users: Users, data: Data) -> dict[int, tuple[int, int]]:
    reviewers = Zipf(rng, users.ids, "reviewer")
    product_ids, user_ids = products.popular.draw(count), reviewers.draw(count)
    ratings = rng.choices(*REVIEW_RATINGS, k=count)
    summary: dict[int, tuple[int, int]] = {}
    rows = []
    for i in range(count):
        pid = product_ids[i]
        ago = rng.randrange(products.created[pid - 1] + 1)
        body = " ".join(rng.choices(words.REVIEW_WORDS, k=rng.randrange(4, 16)))
        rows.append(f"{i + 1}\t{pid}\t{user_ids[i]}\t{ratings[i]}\t{body}\t{_ts(ago)}\n")
        n, total = summary.get(pid, (0, 0))
        summary[pid] = (n + 1, total + ratings[i])
    data.add("reviews", ["id", "product_id", "user_id", "rating", "body", "created_at"], rows)
    return summary


def _order_status(rng: random.Random, position: float) -> str:
    """Status by age: the newest orders are still pending/paid/shipped, old ones delivered."""
    if position > 0.975:
        return "pending" if rng.random() < 0.8 else "paid"
    if position > 0.93:
        return "shipped" if rng.random() < 0.7 else "paid"
    return "delivered" if rng.random() < 0.86 else "cancelled"


def _orders(rng, count, users: Users, products: Products, data: Data) -> None:
    buyers = Zipf(rng, users.ids, "buyer")
    user_ids = buyers.draw(count)
    created = sorted((rng.randrange(_HISTORY_S) for _ in range(count)), reverse=True)
    sizes = rng.choices(*ITEMS_PER_ORDER, k=count)
    lines = products.popular.draw(sum(sizes))
    order_rows, item_rows = [], []
    item_id = 0
    for i in range(count):
        total = 0
        for pid in lines[item_id:item_id + sizes[i]]:
            item_id += 1
            quantity = rng.choice((1, 1, 1, 2, 3))
            total += quantity * round(float(products.price[pid - 1]) * 100)
            item_rows.append(f"{item_id}\t{i + 1}\t{pid}\t{quantity}\t{products.price[pid - 1]}\n")
        uid = user_ids[i]
        status = _order_status(rng, i / count)
        order_rows.append(f"{i + 1}\t{uid}\t{users.default_address[uid - 1]}\t{status}\t"
                          f"{total // 100}.{total % 100:02d}\t{_ts(created[i])}\n")
    data.add("orders", ["id", "user_id", "shipping_address_id", "status", "total", "created_at"], order_rows)
    data.add("order_items", ["id", "order_id", "product_id", "quantity", "unit_price"], item_rows)


def _carts(rng, count, users: Users, products: Products, data: Data) -> None:
    owners = rng.sample(users.ids, min(count, len(users.ids)))
    cart_rows, item_rows = [], []
    for cid, uid in enumerate(owners, start=1):
        updated = rng.randrange(30 * 86_400)
        created = updated + rng.randrange(7 * 86_400)
        cart_rows.append(f"{cid}\t{uid}\t{_ts(created)}\t{_ts(updated)}\n")
        size = rng.choices(*ITEMS_PER_CART)[0]
        for pid in dict.fromkeys(products.popular.draw(size)):
            item_rows.append(f"{len(item_rows) + 1}\t{cid}\t{pid}\t{rng.choice((1, 1, 2))}\t"
                             f"{_ts(updated + rng.randrange(created - updated + 1))}\n")
    data.add("carts", ["id", "user_id", "created_at", "updated_at"], cart_rows)
    data.add("cart_items", ["id", "cart_id", "product_id", "quantity", "added_at"], item_rows)
