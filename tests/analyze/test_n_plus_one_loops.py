"""N+1 loops of a small app of our own, traced by the server log and by the SQLAlchemy hook at
once: one finding per loop, statements named by table and key (joins and subqueries too), the
relationship and its loader option from the hook, the FK-guessed relationship from the log alone,
and the batch advice for a loop in the code."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest
from sqlalchemy import ForeignKey, create_engine, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from advisor.analyze import analyze
from advisor.capture import capture
from advisor.trace import Tracer, load

SCHEMA = """
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE followers (user_id int NOT NULL REFERENCES users (id),
                        follower_id int NOT NULL REFERENCES users (id), PRIMARY KEY (user_id, follower_id));
CREATE TABLE workouts (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users (id), title text NOT NULL);
CREATE TABLE comments (id int PRIMARY KEY, workout_id int NOT NULL REFERENCES workouts (id), body text NOT NULL);
INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 40) g;
INSERT INTO followers SELECT u, f FROM generate_series(1, 40) u, generate_series(1, 40) f WHERE (u + f) % 7 = 0;
INSERT INTO workouts SELECT g, 1 + g % 40, 'workout ' || g FROM generate_series(1, 400) g;
INSERT INTO comments SELECT g, 1 + g % 400, 'comment ' || g FROM generate_series(1, 2000) g;
ANALYZE;
"""


class Base(DeclarativeBase):
    pass


class Workout(Base):
    __tablename__ = "workouts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    title: Mapped[str]
    comments: Mapped[list[Comment]] = relationship()


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    workout_id: Mapped[int] = mapped_column(ForeignKey("workouts.id"))
    body: Mapped[str]


def feed(session: Session, user_id: int) -> list[int]:
    """Lazy loading: one comments query per workout."""
    workouts = session.scalars(select(Workout).where(Workout.user_id == user_id).order_by(Workout.id))
    return [len(w.comments) for w in workouts]


def follower_counts(session: Session, first: int) -> list[int]:
    """A loop in the code over a JOIN: one count per user."""
    ids = session.scalars(text("SELECT id FROM users WHERE id >= :first ORDER BY id LIMIT 8"),
                          {"first": first}).all()
    return [session.scalar(text("SELECT count(*) FROM followers f JOIN users u ON u.id = f.follower_id "
                                "WHERE f.user_id = :id"), {"id": i}) for i in ids]


def comment_counts(session: Session, user_id: int) -> list[int]:
    """A loop in the code over a subquery (the shape of SQLAlchemy's Query.count())."""
    ids = session.scalars(select(Workout.id).where(Workout.user_id == user_id)).all()
    return [session.scalar(select(func.count()).select_from(
        select(Comment.id).where(Comment.workout_id == i).subquery())) for i in ids]


def workout_pages(session: Session, first: int) -> list[int]:
    """A loop in the code of 1+1 loads: each workout by id, then its comments (lazily)."""
    return [len(session.get(Workout, i).comments) for i in range(first, first + 6)]


REQUESTS = [("GET /feed", feed, 3), ("GET /feed", feed, 4), ("GET /home", feed, 5),
            ("GET /followers", follower_counts, 5), ("GET /stats", comment_counts, 6),
            ("GET /stats", comment_counts, 7), ("GET /workouts", workout_pages, 50)]


@pytest.fixture(scope="module")
def traced(pg, tmp_path_factory):
    """One run, traced by the server log and by the hook; the snapshot holds both."""
    name = "loops_app"
    dsn = pg.create_database(name)
    tmp = tmp_path_factory.mktemp("loops")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SCHEMA)
            conn.execute("SELECT pg_stat_statements_reset()")
        start = pg.log_path.stat().st_size
        tracer = Tracer(tmp / "app.jsonl")
        engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg://"))
        tracer.instrument(engine)
        for label, endpoint, argument in REQUESTS:
            with tracer.request(label), Session(engine) as session, session.begin():
                endpoint(session, argument)
        tracer.close()
        engine.dispose()
        log = tmp / "server.log"
        with pg.log_path.open("rb") as handle:
            handle.seek(start)
            log.write_bytes(handle.read())
        snapshot = capture(dsn, logs=[log])
        snapshot.traces += load([tmp / "app.jsonl"])
        return snapshot
    finally:
        pg.drop_database(name)


def loops(snapshot, source: str | None = None):
    if source:
        snapshot = dataclasses.replace(snapshot, traces=[t for t in snapshot.traces if t.source == source])
    return [f for f in analyze(snapshot).findings if f.rule == "n-plus-one"]


def by_endpoint(found, label: str):
    (finding,) = [f for f in found if label in f.evidence["endpoints"] or
                  (not f.evidence["endpoints"] and label in f.message)]
    return finding


def test_log_and_hook_see_each_loop_once(traced):
    assert {t.source for t in traced.traces} == {"app", "log"}
    found = loops(traced)
    assert len(found) == 4, [f.message for f in found]
    assert all(f.evidence["seen_in"] == ["app", "log"] for f in found)
    feed_loop = by_endpoint(found, "GET /feed")  # and on the home page: one loop, two endpoints
    assert feed_loop.evidence["endpoints"] == ["GET /feed", "GET /home"]
    assert feed_loop.evidence["requests"] == 3  # the hook's three requests; the log's copies add none
    assert feed_loop.evidence["occurrences"] == [
        {"endpoint": "GET /feed", "requests": 2, "max_count_per_request": 10},
        {"endpoint": "GET /home", "requests": 1, "max_count_per_request": 10}]


def test_the_hook_names_the_relationship_the_parent_and_the_option(traced):
    finding = by_endpoint(loops(traced), "GET /feed")
    assert finding.message.startswith("N+1 in GET /feed, GET /home: `Workout.comments` lazy-loads comments "
                                      "by workout_id 10 times per request")
    assert "once per row of workouts by user_id from tests/analyze/test_n_plus_one_loops.py:" in finding.message
    assert "in feed" in finding.message
    assert "add `.options(selectinload(Workout.comments))` to the query that loads workouts by user_id at " \
           "tests/analyze/test_n_plus_one_loops.py:" in finding.help
    assert finding.evidence["fix"]["options"] == ["selectinload(Workout.comments)"]


def test_a_loop_over_a_join_names_its_tables_and_gets_the_batch_advice(traced):
    finding = by_endpoint(loops(traced), "GET /followers")
    assert "a loop in the code (not a lazy load) runs count of followers join users by followers.user_id " \
           "8 times per request" in finding.message
    assert "once per row of users by id" in finding.message
    assert "`WHERE followers.user_id = ANY($1)`" in finding.help and "not a lazy load" in finding.help
    assert finding.evidence["loop"] == "query in a loop" and finding.table is None


def test_a_loop_over_a_subquery_names_its_table(traced):
    finding = by_endpoint(loops(traced), "GET /stats")
    assert "runs count of comments by workout_id 10 times per request" in finding.message
    assert "`WHERE workout_id = ANY($1)`" in finding.help


def test_a_loop_of_single_row_loads_is_one_loop_in_the_code(traced):
    finding = by_endpoint(loops(traced), "GET /workouts")
    assert "a loop in the code (not a lazy load) runs workouts by id 6 times per request" in finding.message
    assert "inside it `Workout.comments` loads comments by workout_id 6 times" in finding.message
    assert "`WHERE id = ANY($1)`" in finding.help and "`.where(Workout.id.in_(keys))`" in finding.help
    assert "Eager-load what the loop touches in that query: `.options(selectinload(Workout.comments))`" \
        in finding.help


def test_from_the_server_log_alone_the_foreign_key_names_the_relationship(traced):
    found = loops(traced, "log")
    assert len(found) == 4 and all(f.evidence["seen_in"] == ["log"] for f in found)
    (lazy,) = [f for f in found if f.evidence["repeated"] == "comments by workout_id"]
    assert lazy.evidence["likely_relationship"] == "Workout.comments"
    assert "likely the relationship `Workout.comments` (FK comments.workout_id → workouts.id)" in lazy.message
    assert "`.options(selectinload(Workout.comments))`" in lazy.help and "ANY($1)" in lazy.help
    (counting,) = [f for f in found if f.evidence["repeated"] == "count of comments by workout_id"]
    assert counting.evidence["likely_relationship"] is None  # it counts rows, it loads none


def test_below_the_thresholds_no_loop(traced):
    from advisor.config import Config, RuleSettings

    fewer = Config(rules={"n-plus-one": RuleSettings(thresholds={"min_repeats": 11})})
    assert not [f for f in analyze(traced, fewer).findings if f.rule == "n-plus-one"]
    slower = Config(rules={"n-plus-one": RuleSettings(thresholds={"min_time_per_request_ms": 60_000})})
    assert not [f for f in analyze(traced, slower).findings if f.rule == "n-plus-one"]
