"""ShopEase's endpoints: plain functions of a Session and parameters, returning plain data.

    >>> from sqlalchemy.orm import Session
    >>> from app_under_test import endpoints
    >>> from app_under_test.db import make_engine
    >>> with Session(make_engine(dsn)) as session:              # doctest: +SKIP
    ...     endpoints.list_products(session, category_id=11, page=1)[0]["seller"]
    'Acmeco Store 17'

Written like the original app: ORM queries, lazy relationships touched inside loops. With
``eager=False`` (the default) ``list_products``, ``product_detail``, ``order_history`` and
``view_cart`` issue one query per row (N+1); with ``eager=True`` they load the relations with
``joinedload``/``selectinload`` in a fixed number of queries. Endpoints never commit: the caller
owns the transaction (the driver runs each request in exactly one).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, distinct, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app_under_test.models import (
    Address,
    Cart,
    CartItem,
    Order,
    OrderItem,
    Product,
    Review,
    Seller,
    User,
)

SORTS = {
    "newest": (Product.created_at.desc(),),
    "rating": (Product.rating_avg.desc(), Product.review_count.desc()),
}
LIKE_SPECIALS = str.maketrans({"%": r"\%", "_": r"\_", "\\": r"\\"})


def _money(value: Decimal | None) -> float:
    return float(value or 0)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _product_card(product: Product) -> dict:
    return {"id": product.id, "name": product.name, "price": _money(product.price),
            "rating_avg": _money(product.rating_avg), "review_count": product.review_count}


def _active_products():
    return select(Product).where(Product.status == "active", Product.deleted_at.is_(None))


def list_products(session: Session, category_id: int, page: int = 1, page_size: int = 20,
                  sort: str = "newest", eager: bool = False) -> list[dict]:
    """A category page, newest first, each product with its seller's name (N+1 unless eager)."""
    stmt = (_active_products().where(Product.category_id == category_id)
            .order_by(*SORTS[sort]).limit(page_size).offset((max(page, 1) - 1) * page_size))
    if eager:
        stmt = stmt.options(joinedload(Product.seller))
    return [{**_product_card(product), "seller": product.seller.name}
            for product in session.scalars(stmt)]


def list_products_deep(session: Session, category_id: int, page: int, eager: bool = False) -> list[dict]:
    """``list_products`` far down a category (large OFFSET): what keyset pagination avoids."""
    return list_products(session, category_id, page=page, eager=eager)


def search_products(session: Session, term: str, limit: int = 20) -> list[dict]:
    """Active products whose name contains ``term`` (case-insensitive), most reviewed first."""
    pattern = f"%{term.translate(LIKE_SPECIALS)}%"
    stmt = (_active_products().where(Product.name.ilike(pattern))
            .order_by(Product.review_count.desc(), Product.id).limit(limit))
    return [_product_card(product) for product in session.scalars(stmt)]


def cheap_products(session: Session, max_price: float = 5.0, limit: int = 20) -> list[dict]:
    """The "deals" strip: the cheapest active products under ``max_price``."""
    stmt = (select(Product).where(Product.status == "active", Product.price <= max_price)
            .order_by(Product.price).limit(limit))
    return [_product_card(product) for product in session.scalars(stmt)]


def product_detail(session: Session, product_id: int, eager: bool = False,
                   review_limit: int = 20) -> dict | None:
    """A product page: product, seller, category and the latest reviews with their authors."""
    options = [joinedload(Product.seller), joinedload(Product.category)] if eager else []
    product = session.get(Product, product_id, options=options)
    if product is None:
        return None
    stmt = (select(Review).where(Review.product_id == product_id)
            .order_by(Review.created_at.desc()).limit(review_limit))
    if eager:
        stmt = stmt.options(selectinload(Review.user))
    reviews = [{"id": review.id, "rating": review.rating, "body": review.body,
                "author": review.user.full_name, "created_at": _when(review.created_at)}
               for review in session.scalars(stmt)]
    return {**_product_card(product), "description": product.description, "stock": product.stock,
            "seller": product.seller.name, "category": product.category.name, "reviews": reviews}


def order_history(session: Session, user_id: int, eager: bool = False, limit: int = 20) -> list[dict]:
    """A user's latest orders, newest first, each with its lines and their products' names."""
    stmt = (select(Order).where(Order.user_id == user_id)
            .order_by(Order.created_at.desc()).limit(limit))
    if eager:
        stmt = stmt.options(selectinload(Order.items).selectinload(OrderItem.product))
    return [{"id": order.id, "status": order.status, "total": _money(order.total),
             "created_at": _when(order.created_at),
             "items": [{"product_id": item.product_id, "name": item.product.name,
                        "quantity": item.quantity, "unit_price": _money(item.unit_price)}
                       for item in sorted(order.items, key=lambda item: item.id)]}
            for order in session.scalars(stmt)]


def _cart_of(session: Session, user_id: int, *options) -> Cart | None:
    stmt = select(Cart).where(Cart.user_id == user_id).order_by(Cart.id).limit(1).options(*options)
    return session.scalars(stmt).first()


def view_cart(session: Session, user_id: int, eager: bool = False) -> dict | None:
    """The user's cart: its lines with product names and prices, and the total."""
    options = [selectinload(Cart.items).joinedload(CartItem.product)] if eager else []
    cart = _cart_of(session, user_id, *options)
    if cart is None:
        return None
    items = [{"product_id": item.product_id, "name": item.product.name, "quantity": item.quantity,
              "price": _money(item.product.price)}
             for item in sorted(cart.items, key=lambda item: item.id)]
    return {"cart_id": cart.id, "items": items,
            "total": round(sum(item["price"] * item["quantity"] for item in items), 2)}


def login(session: Session, email: str) -> dict | None:
    """The account for ``email``, compared case-insensitively (``lower(email) = lower(:email)``)."""
    stmt = select(User).where(func.lower(User.email) == func.lower(email))
    user = session.scalars(stmt).first()
    if user is None:
        return None
    return {"id": user.id, "email": user.email, "full_name": user.full_name}


def seller_dashboard(session: Session, seller_id: int, limit: int = 20) -> dict | None:
    """A seller's products, recent order lines on them, pending orders and delivered revenue."""
    seller = session.get(Seller, seller_id)
    if seller is None:
        return None
    products = session.scalars(select(Product).where(Product.seller_id == seller_id)
                               .order_by(Product.created_at.desc()).limit(50)).all()
    product_count = session.scalar(select(func.count()).select_from(Product)
                                   .where(Product.seller_id == seller_id))
    lines = session.execute(
        select(OrderItem.order_id, OrderItem.product_id, OrderItem.quantity, OrderItem.unit_price,
               Order.status, Order.created_at)
        .join(OrderItem.order).join(OrderItem.product)
        .where(Product.seller_id == seller_id)
        .order_by(Order.created_at.desc(), OrderItem.id).limit(limit)
    ).all()
    pending = session.scalar(
        select(func.count(distinct(Order.id))).join(Order.items).join(OrderItem.product)
        .where(Product.seller_id == seller_id, Order.status == "pending")
    )
    revenue = session.scalar(
        select(func.coalesce(func.sum(OrderItem.quantity * OrderItem.unit_price), 0))
        .join(OrderItem.order).join(OrderItem.product)
        .where(Product.seller_id == seller_id, Order.status == "delivered")
    )
    return {
        "seller": seller.name,
        "product_count": product_count,
        "products": [_product_card(product) for product in products],
        "recent_lines": [{"order_id": line.order_id, "product_id": line.product_id,
                          "quantity": line.quantity, "unit_price": _money(line.unit_price),
                          "status": line.status, "created_at": _when(line.created_at)}
                         for line in lines],
        "pending_orders": pending,
        "delivered_revenue": _money(revenue),
    }


def pending_orders(session: Session, limit: int = 50) -> list[dict]:
    """The fulfilment queue: the oldest orders still pending."""
    stmt = select(Order).where(Order.status == "pending").order_by(Order.created_at).limit(limit)
    return [{"id": order.id, "user_id": order.user_id, "total": _money(order.total),
             "created_at": _when(order.created_at)} for order in session.scalars(stmt)]


def checkout(session: Session, user_id: int) -> dict | None:
    """WRITES. Turn the user's cart into a pending order, take the stock, empty the cart.

    None when the user has no cart; ``order_id`` None when the cart holds nothing buyable.
    Products are locked in id order so concurrent checkouts cannot deadlock.
    """
    cart = _cart_of(session, user_id)
    if cart is None:
        return None
    lines = session.scalars(select(CartItem).where(CartItem.cart_id == cart.id)
                            .order_by(CartItem.id)).all()
    ids = sorted({line.product_id for line in lines})
    products = {product.id: product for product in session.scalars(
        _active_products().where(Product.id.in_(ids)).order_by(Product.id).with_for_update())}
    buyable = [line for line in lines if line.product_id in products]
    if not buyable:
        return {"order_id": None, "items": 0, "total": 0.0}
    address_id = session.scalar(select(Address.id).where(Address.user_id == user_id)
                                .order_by(Address.is_default.desc(), Address.id).limit(1))
    total = sum(products[line.product_id].price * line.quantity for line in buyable)
    order = Order(user_id=user_id, shipping_address_id=address_id, status="pending", total=total,
                  created_at=func.now())
    order.items = [OrderItem(product_id=line.product_id, quantity=line.quantity,
                             unit_price=products[line.product_id].price) for line in buyable]
    session.add(order)
    for line in buyable:
        product = products[line.product_id]
        product.stock = max(0, product.stock - line.quantity)
    session.execute(delete(CartItem).where(CartItem.cart_id == cart.id))
    cart.updated_at = func.now()
    session.flush()
    return {"order_id": order.id, "items": len(buyable), "total": _money(total)}


ENDPOINTS = {
    "list_products": list_products,
    "list_products_deep": list_products_deep,
    "search_products": search_products,
    "cheap_products": cheap_products,
    "product_detail": product_detail,
    "order_history": order_history,
    "view_cart": view_cart,
    "login": login,
    "seller_dashboard": seller_dashboard,
    "pending_orders": pending_orders,
    "checkout": checkout,
}
