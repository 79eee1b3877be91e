"""ShopEase: the e-commerce backend the advisor is demonstrated and tested on.

A Python port of a real team's backend ("7 indexes added, still slow"): SQLAlchemy models with
lazy relationships (so loops make N+1 queries), an Alembic history holding the "before" indexes,
a deterministic data generator and a concurrent workload driver. The planted problems and their
ideal fixes are listed in ``PLANTED.md``.
"""
