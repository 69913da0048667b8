"""Profile-lookup latency in SQLite with 10 thousand, 1 million and 10 million tags.

Each database gets the real schema (`buyerguard.storage.schema.upgrade`), then is filled in
bulk with raw sqlite3: sellers, buyers, two hashed identifiers per buyer, tags, and the per-buyer
aggregates, computed with numpy the way `domain.profiles.summarise` does. A sample of buyers is
checked against `summarise` and the lookup, then `services.buyers.look_up_buyer` is timed
through a `SqlUnitOfWork`, exactly as the API and the CLI call it.

    .venv/bin/python bench/lookup_latency.py                  # 10k, 1M and 10M tags
    .venv/bin/python bench/lookup_latency.py --sizes 10k,1M   # a quicker run
    .venv/bin/python bench/lookup_latency.py --data-dir /tmp/bg-bench   # keep and reuse databases

Writes bench/results/lookup_latency.json and .md.
"""

from __future__ import annotations

import argparse
import hmac
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    human_bytes,
    machine,
    markdown_table,
    now_iso,
    rss_mib,
    source,
    summary_ms,
    write_results,
)
from sqlalchemy import Engine, event

from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.profiles import BuyerStats, Profile, summarise, tag_facts
from buyerguard.domain.reasons import REASONS
from buyerguard.domain.reputation import (
    EPOCH,
    EVENT_BACKED_FACTOR,
    ORDER_BACKED_FACTOR,
    UNBACKED_FACTOR,
)
from buyerguard.domain.tags import NewTag, TagSource
from buyerguard.services.buyers import look_up_buyer, resolve_buyers
from buyerguard.services.tags import PendingTag, store_tags
from buyerguard.storage.database import open_database
from buyerguard.storage.schema import is_current, upgrade
from buyerguard.storage.unit_of_work import SqlUnitOfWork

NAME = "lookup_latency"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
SECRET = b"buyerguard-bench-secret-0123456789abcdef"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SEED = 20261130
FORMAT_VERSION = 2  # bump when the generated data changes, so kept databases are rebuilt

TAGS_PER_BUYER = 2.5
PLATFORMS = ("aliexpress", "ebay", "etsy", "shopify", "amazon", "allegro")
REASON_CODES = tuple(r.code for r in REASONS)
REASON_SHARE = {
    "frequent_returns": 0.22,
    "malicious_feedback": 0.10,
    "card_fraud": 0.05,
    "extortion": 0.02,
    "unpaid_order": 0.20,
    "non_payment": 0.10,
    "unmerited_dispute": 0.10,
    "remote_area": 0.05,
    "cod_refusal": 0.10,
    "other": 0.06,
}
STATUSES = ("active", "expired", "retracted", "removed")
SOURCES = ("manual", "import", "event")
NOTES = (
    "",
    "",
    "",
    "",
    "asked for a refund after the parcel was signed for",
    "opened a dispute, then went silent",
    "threatened a 1-star review unless refunded",
    "chargeback after delivery",
    "refused the parcel at the door",
    "did not pay within 7 days",
)
US = 1_000_000
DAY_US = 86_400 * US
CHUNK = 250_000
KIND_BITS = 16  # reason index packing: key = buyer * 16 + reason

TAG_COLUMNS = (
    "id, buyer_id, seller_id, reason, note, order_ref, source, status, order_backed, "
    "created_at, expires_at, ended_at"
)


def _us(moment: datetime) -> int:
    return int(moment.timestamp()) * US + moment.microsecond


NOW_US = _us(NOW)
EPOCH_US = _us(EPOCH)


# --------------------------------------------------------------------------------------------
# Data generation


def platform_id(i: int) -> str:
    return f"{PLATFORMS[i % len(PLATFORMS)]}:B{i:08d}"


def email(i: int) -> str:
    return f"buyer.{i}@mail{i % 97}.example.com"


def digest(kind: str, value: str) -> str:
    """What domain.identifiers.hash_identifier computes for an already normalised value."""
    return hmac.digest(SECRET, f"{kind}:{value}".encode(), "sha256").hex()


@dataclass
class Dataset:
    n_tags: int
    n_buyers: int
    n_sellers: int
    seller_trust: np.ndarray
    # per tag, in id order (ids are 1..n_tags in time order)
    buyer: np.ndarray  # 0-based buyer index; buyer id = index + 1
    seller: np.ndarray  # 0-based seller index; seller id = index + 1
    reason: np.ndarray  # index into REASON_CODES
    created: np.ndarray  # microseconds since the Unix epoch
    expires: np.ndarray
    ended: np.ndarray
    status: np.ndarray  # index into STATUSES
    source: np.ndarray  # index into SOURCES
    order_backed: np.ndarray
    has_ref: np.ndarray
    note: np.ndarray
    buyer_created: np.ndarray | None = None  # set when the buyers are written


def generate(n_tags: int) -> Dataset:
    """Tags over many buyers (geometric, mean 2.5, plus a heavy tail) and sellers (Zipf-like),
    every (seller, buyer, reason) distinct, ids in time order as autoincrement would give them."""
    rng = np.random.default_rng(SEED + n_tags)
    n_buyers = max(1, round(n_tags / TAGS_PER_BUYER))
    n_sellers = int(min(max(n_tags // 500, 100), 20_000))
    rank_weight = 1.0 / (np.arange(n_sellers) + 10.0) ** 0.9
    seller_p = rank_weight[rng.permutation(n_sellers)]
    seller_p /= seller_p.sum()
    reason_p = np.array([REASON_SHARE[c] for c in REASON_CODES])
    reason_p /= reason_p.sum()

    counts = rng.geometric(1 / TAGS_PER_BUYER, n_buyers)
    heavy = rng.random(n_buyers) < 0.001
    counts[heavy] += rng.integers(20, 200, int(heavy.sum()))
    buyer = np.repeat(np.arange(n_buyers, dtype=np.int64), counts)
    seller = rng.choice(n_sellers, buyer.size, p=seller_p).astype(np.int64)
    reason = rng.choice(len(REASON_CODES), buyer.size, p=reason_p).astype(np.int64)
    while True:
        key = (buyer * n_sellers + seller) * KIND_BITS + reason
        _, first = np.unique(key, return_index=True)
        buyer, seller, reason = buyer[first], seller[first], reason[first]
        if buyer.size >= n_tags:
            break
        extra = n_tags - buyer.size + 1000
        buyer = np.concatenate([buyer, rng.integers(0, n_buyers, extra)])
        seller = np.concatenate([seller, rng.choice(n_sellers, extra, p=seller_p)])
        reason = np.concatenate([reason, rng.choice(len(REASON_CODES), extra, p=reason_p)])
    keep = np.sort(rng.choice(buyer.size, n_tags, replace=False))
    buyer, seller, reason = buyer[keep], seller[keep], reason[keep]

    created = NOW_US - rng.integers(3600 * US, 3 * 365 * DAY_US, n_tags)
    order = np.argsort(created, kind="stable")
    buyer, seller, reason, created = buyer[order], seller[order], reason[order], created[order]
    expires_after = np.array([int(r.expires_after.total_seconds()) * US for r in REASONS])
    expires = created + expires_after[reason]
    roll = rng.random(n_tags)
    status = np.where(roll < 0.90, 0, np.where(roll < 0.98, 2, 3))
    status[expires <= NOW_US] = 1
    ended = np.where(
        status == 1, expires, created + (rng.random(n_tags) * (NOW_US - created)).astype(np.int64)
    )
    has_ref = rng.random(n_tags) < 0.4
    source = rng.choice(3, n_tags, p=[0.65, 0.25, 0.10])
    return Dataset(
        n_tags=n_tags,
        n_buyers=n_buyers,
        n_sellers=n_sellers,
        seller_trust=np.round(rng.beta(2.0, 3.0, n_sellers), 6),
        buyer=buyer,
        seller=seller,
        reason=reason,
        created=created,
        expires=expires,
        ended=ended,
        status=status,
        source=source,
        order_backed=has_ref & (rng.random(n_tags) < 0.8),
        has_ref=has_ref,
        note=rng.integers(0, len(NOTES), n_tags),
    )


@dataclass
class Aggregates:
    """buyer_reason_stats rows (rs_*) and buyer_stats rows (bs_*), as numpy columns."""

    rs_buyer: np.ndarray
    rs_reason: np.ndarray
    rs_sellers: np.ndarray
    rs_order_backed: np.ndarray
    rs_weight: np.ndarray
    rs_first: np.ndarray
    rs_last: np.ndarray
    bs_buyer: np.ndarray
    bs_reporters: np.ndarray
    bs_first: np.ndarray
    bs_last: np.ndarray
    bs_next_expiry: np.ndarray


def aggregate(data: Dataset) -> Aggregates:
    """What refresh_stats would store: per buyer and reason, the active tags' sellers, order-backed
    count, summed anchored weight and first/last time; per buyer, the distinct reporters and the
    first expiry of its active tags. No orders are generated, so clean_sellers and clean_weight
    are 0."""
    active = data.status == 0
    buyer, seller, reason = data.buyer[active], data.seller[active], data.reason[active]
    created, backed = data.created[active], data.order_backed[active]
    expires = data.expires[active]
    factor = np.where(
        data.source[active] == SOURCES.index("event"),
        EVENT_BACKED_FACTOR,
        np.where(backed, ORDER_BACKED_FACTOR, UNBACKED_FACTOR),
    )
    half_life = np.array([r.half_life.total_seconds() * US for r in REASONS])
    trust = np.clip(data.seller_trust[seller], 0.0, 1.0)
    weight = trust * factor * np.exp2((created - EPOCH_US) / half_life[reason])

    key = buyer * KIND_BITS + reason
    order = np.argsort(key, kind="stable")
    keys, starts, counts = np.unique(key[order], return_index=True, return_counts=True)
    rs_buyer = keys // KIND_BITS
    rs_first = np.minimum.reduceat(created[order], starts)
    rs_last = np.maximum.reduceat(created[order], starts)
    rs_next_expiry = np.minimum.reduceat(expires[order], starts)

    pairs = np.unique(buyer * data.n_sellers + seller)
    reporters = np.bincount(pairs // data.n_sellers, minlength=data.n_buyers)
    bs_buyer, bs_starts = np.unique(rs_buyer, return_index=True)
    return Aggregates(
        rs_buyer=rs_buyer,
        rs_reason=keys % KIND_BITS,
        rs_sellers=counts,
        rs_order_backed=np.add.reduceat(backed[order].astype(np.int64), starts),
        rs_weight=np.add.reduceat(weight[order], starts),
        rs_first=rs_first,
        rs_last=rs_last,
        bs_buyer=bs_buyer,
        bs_reporters=reporters[bs_buyer],
        bs_first=np.minimum.reduceat(rs_first, bs_starts),
        bs_last=np.maximum.reduceat(rs_last, bs_starts),
        bs_next_expiry=np.minimum.reduceat(rs_next_expiry, bs_starts),
    )


# --------------------------------------------------------------------------------------------
# Writing the database


def iso(values: np.ndarray) -> list[str]:
    """Microseconds since the epoch as SQLAlchemy's SQLite DATETIME text (UTC, no zone)."""
    text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    return [s.replace("T", " ") for s in text.tolist()]


def chunks(n: int, size: int = CHUNK) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def build(path: Path, data: Dataset, progress: Progress) -> dict[str, float]:
    """Create the schema with the real migrations, then bulk-insert everything."""
    timings: dict[str, float] = {}
    database = open_database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()

    con = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=OFF",
        "synchronous=OFF",
        "cache_size=-2000000",
        "temp_store=MEMORY",
        "foreign_keys=OFF",
    ):
        con.execute(f"PRAGMA {pragma}")
    # Drop the secondary indexes and create them again afterwards with their own DDL: an index
    # built by sorting is much faster than one grown row by row, and the schema stays identical.
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('tags', 'buyer_identifiers')"
    ).fetchall()
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")

    con.execute("BEGIN")
    started = time.perf_counter()
    _insert_sellers_and_buyers(con, data)
    timings["sellers_buyers_s"] = time.perf_counter() - started
    progress.step("sellers, buyers")

    started = time.perf_counter()
    _insert_identifiers(con, data, progress)
    timings["identifiers_s"] = time.perf_counter() - started
    progress.step(f"{2 * data.n_buyers:,} identifiers")

    started = time.perf_counter()
    _insert_tags(con, data, progress)
    timings["tags_s"] = time.perf_counter() - started
    progress.step(f"{data.n_tags:,} tags")

    started = time.perf_counter()
    stats = aggregate(data)
    _insert_stats(con, stats)
    timings["aggregates_s"] = time.perf_counter() - started
    progress.step(f"{stats.bs_buyer.size:,} buyer_stats, {stats.rs_buyer.size:,} reason rows")
    con.execute("COMMIT")

    started = time.perf_counter()
    for _, sql in indexes:
        con.execute(sql)
    timings["indexes_s"] = time.perf_counter() - started
    progress.step(f"{len(indexes)} indexes recreated")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return {k: round(v, 2) for k, v in timings.items()}


def _insert_sellers_and_buyers(con: sqlite3.Connection, data: Dataset) -> None:
    created = iso(np.full(data.n_sellers, NOW_US - 4 * 365 * DAY_US))
    con.executemany(
        "INSERT INTO sellers (id, name, role, trust, created_at, trust_updated_at) "
        "VALUES (?, ?, 'seller', ?, ?, NULL)",
        (
            (i + 1, f"seller-{i + 1:05d}", trust, created[i])
            for i, trust in enumerate(data.seller_trust.tolist())
        ),
    )
    first_seen = np.full(data.n_buyers, NOW_US - 30 * DAY_US)
    buyers_with_tags, first = np.unique(data.buyer, return_index=True)  # tags are in time order
    first_seen[buyers_with_tags] = data.created[first]
    for part in chunks(data.n_buyers):
        con.executemany(
            "INSERT INTO buyers (id, created_at, merged_into) VALUES (?, ?, NULL)",
            zip(range(part.start + 1, part.stop + 1), iso(first_seen[part]), strict=True),
        )
    data.buyer_created = first_seen


def _insert_identifiers(con: sqlite3.Connection, data: Dataset, progress: Progress) -> None:
    created = data.buyer_created
    assert created is not None, "buyers are written first"
    sql = "INSERT INTO buyer_identifiers (digest, kind, buyer_id, created_at) VALUES (?, ?, ?, ?)"
    for part in chunks(data.n_buyers):
        at = iso(created[part])
        rows: list[tuple[str, str, int, str]] = []
        for offset, i in enumerate(range(part.start, part.stop)):
            rows.append(
                (
                    digest("platform_buyer_id", platform_id(i)),
                    "platform_buyer_id",
                    i + 1,
                    at[offset],
                )
            )
            rows.append((digest("email", email(i)), "email", i + 1, at[offset]))
        con.executemany(sql, rows)
        progress.tick(part.stop, data.n_buyers, "buyers' identifiers")


def _insert_tags(con: sqlite3.Connection, data: Dataset, progress: Progress) -> None:
    reasons = np.array(REASON_CODES, dtype=object)
    statuses = np.array(STATUSES, dtype=object)
    sources = np.array(SOURCES, dtype=object)
    notes = np.array(NOTES, dtype=object)
    sql = f"INSERT INTO tags ({TAG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    for part in chunks(data.n_tags):
        ids = range(part.start + 1, part.stop + 1)
        status = data.status[part]
        ended = iso(data.ended[part])
        refs = [
            f"ORD-{i}" if h else None for i, h in zip(ids, data.has_ref[part].tolist(), strict=True)
        ]
        con.executemany(
            sql,
            zip(
                ids,
                (data.buyer[part] + 1).tolist(),
                (data.seller[part] + 1).tolist(),
                reasons[data.reason[part]].tolist(),
                notes[data.note[part]].tolist(),
                refs,
                sources[data.source[part]].tolist(),
                statuses[status].tolist(),
                data.order_backed[part].astype(np.int64).tolist(),
                iso(data.created[part]),
                iso(data.expires[part]),
                [e if s else None for e, s in zip(ended, status.tolist(), strict=True)],
                strict=True,
            ),
        )
        progress.tick(part.stop, data.n_tags, "tags")


def _insert_stats(con: sqlite3.Connection, stats: Aggregates) -> None:
    reasons = np.array(REASON_CODES, dtype=object)
    for part in chunks(stats.bs_buyer.size):
        con.executemany(
            "INSERT INTO buyer_stats (buyer_id, distinct_reporters, clean_sellers, clean_weight, "
            "first_reported_at, last_reported_at, next_expiry_at) VALUES (?, ?, 0, 0.0, ?, ?, ?)",
            zip(
                (stats.bs_buyer[part] + 1).tolist(),
                stats.bs_reporters[part].tolist(),
                iso(stats.bs_first[part]),
                iso(stats.bs_last[part]),
                iso(stats.bs_next_expiry[part]),
                strict=True,
            ),
        )
    for part in chunks(stats.rs_buyer.size):
        con.executemany(
            "INSERT INTO buyer_reason_stats (buyer_id, reason, sellers, order_backed, "
            "anchored_weight, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(
                (stats.rs_buyer[part] + 1).tolist(),
                reasons[stats.rs_reason[part]].tolist(),
                stats.rs_sellers[part].tolist(),
                stats.rs_order_backed[part].tolist(),
                stats.rs_weight[part].tolist(),
                iso(stats.rs_first[part]),
                iso(stats.rs_last[part]),
                strict=True,
            ),
        )


# --------------------------------------------------------------------------------------------
# Checking and measuring


def sizes_on_disk(path: Path) -> dict[str, Any]:
    """File sizes, and bytes per table and index (SQLite's dbstat)."""
    files = {p.name: p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file()}
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    except sqlite3.OperationalError:
        rows = []
    finally:
        con.close()
    return {
        "files": files,
        "total_bytes": sum(files.values()),
        "objects": dict(rows),
    }


def _tag_rows(con: sqlite3.Connection, buyer_id: int) -> list[tuple[Any, ...]]:
    # No `status` term on purpose: with one, SQLite (no ANALYZE) picks ix_tags_status_expires and
    # walks every active tag; see the write probe below and bench/README.md.
    return con.execute(
        "SELECT seller_id, reason, order_backed, source, created_at, status, expires_at FROM tags "
        "WHERE buyer_id = ?",
        (buyer_id,),
    ).fetchall()


def _new_key(taken: set[tuple[int, str]], n_sellers: int, rng: random.Random) -> tuple[int, str]:
    """A (seller, reason) that the buyer has no tag for yet."""
    while True:
        key = (rng.randrange(n_sellers) + 1, rng.choice(REASON_CODES))
        if key not in taken:
            return key


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def verify(path: Path, n_buyers: int, rng: random.Random, samples: int = 300) -> dict[str, int]:
    """The stored aggregates of sampled buyers, read by SqlStatsRepository, equal summarise() over
    their active tags; the identifiers hash as the service hashes them. Exits on a mismatch."""
    i = rng.randrange(n_buyers)
    expected = hash_identifiers({"platform_buyer_id": platform_id(i), "email": email(i)}, SECRET)
    if [h.digest for h in expected] != [
        digest("platform_buyer_id", platform_id(i)),
        digest("email", email(i)),
    ]:
        sys.exit("bench digests differ from domain.identifiers.hash_identifier")

    con = sqlite3.connect(path)
    trust = dict(con.execute("SELECT id, trust FROM sellers").fetchall())
    database = open_database(f"sqlite:///{path}")
    checked = with_stats = 0
    try:
        with SqlUnitOfWork(database.sessions) as uow:
            for _ in range(samples):
                buyer_id = rng.randrange(n_buyers) + 1
                facts = [
                    tag_facts(
                        seller,
                        reason,
                        order_backed=bool(backed),
                        source=TagSource(source),
                        created_at=_utc(created),
                        confirmed_at=None,
                        expires_at=_utc(expires),
                    )
                    for seller, reason, backed, source, created, status, expires in _tag_rows(
                        con, buyer_id
                    )
                    if status == "active"
                ]
                got = uow.stats.get(buyer_id)
                checked += 1
                if not facts:
                    if got is not None:
                        sys.exit(f"buyer {buyer_id}: stats stored without active tags")
                    continue
                with_stats += 1
                _compare(buyer_id, summarise(facts, (), trust, now=NOW), got)
    finally:
        database.dispose()
        con.close()
    return {"buyers_checked": checked, "with_active_tags": with_stats}


def _compare(buyer_id: int, want: BuyerStats, got: BuyerStats | None) -> None:
    if got is None:
        sys.exit(f"buyer {buyer_id}: no stats stored")
    same = (
        got.distinct_reporters == want.distinct_reporters
        and got.clean_sellers == want.clean_sellers
        and got.first_reported_at == want.first_reported_at
        and got.last_reported_at == want.last_reported_at
        and got.next_expiry_at == want.next_expiry_at
        and len(got.reasons) == len(want.reasons)
    )
    for g, w in zip(
        sorted(got.reasons, key=lambda r: r.reason),
        sorted(want.reasons, key=lambda r: r.reason),
        strict=False,
    ):
        same = (
            same
            and (g.reason, g.sellers, g.order_backed, g.first_at, g.last_at)
            == (w.reason, w.sellers, w.order_backed, w.first_at, w.last_at)
            and g.anchored_weight > 0
            and abs(g.anchored_weight - w.anchored_weight) <= 1e-9 * max(1.0, w.anchored_weight)
        )
    if not same:
        sys.exit(f"buyer {buyer_id}: stored stats differ from summarise():\n{got}\n{want}")


@dataclass(frozen=True)
class Probe:
    buyer: dict[str, object]
    digests: tuple[str, ...]
    viewer_id: int
    expected: int | None  # buyer id, None for an unknown buyer


def make_probes(
    path: Path, n_buyers: int, n_sellers: int, count: int, rng: random.Random
) -> list[Probe]:
    """Random existing buyers by email, platform id or both; half seen by a seller who tagged them
    (so the viewer's own tags are read), half by anyone; 5 % unknown buyers."""
    con = sqlite3.connect(path)
    found: list[Probe] = []
    try:
        for _ in range(count):
            unknown = rng.random() < 0.05
            i = n_buyers + rng.randrange(10**6) if unknown else rng.randrange(n_buyers)
            which = rng.random()
            buyer: dict[str, object] = {}
            if which < 0.6:
                buyer["email"] = email(i)
            if which >= 0.4:
                buyer["platform_buyer_id"] = platform_id(i)
            digests = tuple(digest(k, str(v)) for k, v in buyer.items())
            viewer = rng.randrange(n_sellers) + 1
            if not unknown and rng.random() < 0.5:
                taggers = [row[0] for row in _tag_rows(con, i + 1) if row[5] == "active"]
                if taggers:
                    viewer = rng.choice(taggers)
            found.append(Probe(buyer, digests, viewer, None if unknown else i + 1))
    finally:
        con.close()
    return found


LOOKUP_SQL = {
    "find_buyers": "SELECT digest, buyer_id FROM buyer_identifiers WHERE digest IN (?, ?)",
    "stats": "SELECT * FROM buyer_stats WHERE buyer_id = ?",
    "reason_stats": "SELECT * FROM buyer_reason_stats WHERE buyer_id = ?",
    "my_tags": "SELECT * FROM tags WHERE buyer_id = ? AND seller_id = ? AND status = ? ORDER BY id",
}


class StatementLog:
    """The SQL statements an engine runs while open, each with its duration."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.entries: list[tuple[str, Any, bool, int]] = []
        self._started: list[int] = []

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, *args: Any) -> None:
        self._started.append(time.perf_counter_ns())

    def _after(
        self, conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool
    ) -> None:
        self.entries.append((statement, params, many, time.perf_counter_ns() - self._started.pop()))

    def explained(self, raw: sqlite3.Connection) -> list[dict[str, Any]]:
        """Each statement (shortened), its time, and SQLite's plan for it on `raw`."""
        found = []
        for statement, params, many, elapsed in self.entries:
            plan: list[str] = []
            if not many and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
                try:
                    plan = [
                        row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", params)
                    ]
                except sqlite3.Error as error:
                    plan = [f"(no plan: {error})"]
            found.append(
                {
                    "sql": " ".join(statement.split())[:160],
                    "ms": round(elapsed / 1e6, 3),
                    "executemany_rows": len(params) if many else None,
                    "plan": plan,
                }
            )
        return found


class SizeBench:
    """One database under test; lookups are run in blocks so that sizes can be interleaved."""

    def __init__(self, label: str, path: Path, meta: dict[str, Any], sample: list[Probe]) -> None:
        self.label = label
        self.path = path
        self.meta = meta
        self.sample = sample
        self.database = open_database(f"sqlite:///{path}")
        self.raw = sqlite3.connect(path)
        self.next = 0
        self.next_raw = 0
        self.wall: dict[str, list[int]] = {"known": [], "unknown": []}
        self.cpu: list[int] = []
        self.round_medians: list[float] = []
        self.raw_ns: list[int] = []
        self.with_own_tags = 0

    def close(self) -> None:
        self.database.dispose()
        self.raw.close()

    def _lookup(self, probe: Probe) -> Profile:
        return look_up_buyer(
            SqlUnitOfWork(self.database.sessions),
            probe.buyer,
            viewer_id=probe.viewer_id,
            secret=SECRET,
            now=NOW,
        )

    def warm_up(self, count: int) -> None:
        for probe in self.sample[:count]:
            self._lookup(probe)
            self._raw(probe)
        self.next = self.next_raw = count

    def lookups(self, count: int) -> None:
        """Time look_up_buyer as the API calls it: a fresh SqlUnitOfWork per request."""
        block: list[int] = []
        for probe in self.sample[self.next : self.next + count]:
            cpu = time.thread_time_ns()
            started = time.perf_counter_ns()
            profile = self._lookup(probe)
            elapsed = time.perf_counter_ns() - started
            self.cpu.append(time.thread_time_ns() - cpu)
            if profile.buyer_id != probe.expected:
                sys.exit(f"lookup of {probe.buyer} found {profile.buyer_id}, not {probe.expected}")
            self.wall["unknown" if probe.expected is None else "known"].append(elapsed)
            self.with_own_tags += bool(profile.my_tags)
            block.append(elapsed)
        self.next += count
        if block:
            self.round_medians.append(statistics.median(block) / 1e6)

    def _raw(self, probe: Probe) -> None:
        marks = ",".join("?" * len(probe.digests))
        rows = self.raw.execute(
            f"SELECT digest, buyer_id FROM buyer_identifiers WHERE digest IN ({marks})",
            probe.digests,
        ).fetchall()
        if rows:
            buyer_id = min(r[1] for r in rows)
            self.raw.execute(LOOKUP_SQL["stats"], (buyer_id,)).fetchall()
            self.raw.execute(LOOKUP_SQL["reason_stats"], (buyer_id,)).fetchall()
            self.raw.execute(LOOKUP_SQL["my_tags"], (buyer_id, probe.viewer_id, "active"))

    def raw_lookups(self, count: int) -> None:
        """The same four statements through bare sqlite3: the database's share of a lookup."""
        for probe in self.sample[self.next_raw : self.next_raw + count]:
            started = time.perf_counter_ns()
            self._raw(probe)
            self.raw_ns.append(time.perf_counter_ns() - started)
        self.next_raw += count

    def lookup_statements(self) -> list[dict[str, Any]]:
        """The statements one lookup of a known buyer runs, with their plans."""
        probe = next((p for p in self.sample if p.expected is not None), self.sample[0])
        with StatementLog(self.database.engine) as log:
            self._lookup(probe)
        return log.explained(self.raw)

    def write_probe(self, count: int, rng: random.Random) -> dict[str, Any]:
        """Time the write path that keeps the aggregates: `services.tags.add_tag` minus its commit
        (resolve_buyers + store_tags, rolled back), with every statement it runs and its plan."""
        if count <= 0:
            return {}
        add_tag_ns: list[int] = []
        slowest: list[dict[str, Any]] = []
        for _ in range(count):
            i = rng.randrange(self.meta["buyers"])
            taken = {(s, r) for s, r, *_ in _tag_rows(self.raw, i + 1)}
            seller, reason = _new_key(taken, self.meta["sellers"], rng)
            buyer = {"email": email(i), "platform_buyer_id": platform_id(i)}
            with (
                SqlUnitOfWork(self.database.sessions) as uow,
                StatementLog(self.database.engine) as log,
            ):
                started = time.perf_counter_ns()
                identifiers = hash_identifiers(buyer, SECRET)
                (buyer_id,) = resolve_buyers(uow, [identifiers], sellers=[seller], now=NOW)
                tag = NewTag(seller, reason, "bench", None, TagSource.MANUAL, NOW)
                (tag_id,) = store_tags(uow, [PendingTag(buyer_id, tag)], now=NOW)
                add_tag_ns.append(time.perf_counter_ns() - started)
                if tag_id is None:
                    sys.exit("write probe: the new tag was refused as a duplicate")
                # leaving the block without commit rolls the tag back
            slowest = max(slowest, log.explained(self.raw), key=lambda e: sum(x["ms"] for x in e))
        return {"add_tag_uncommitted": summary_ms(add_tag_ns), "statements": slowest}

    def result(self) -> dict[str, Any]:
        known, unknown = self.wall["known"], self.wall["unknown"]
        return {
            "label": self.label,
            **self.meta,
            "lookup": {
                "all": summary_ms(known + unknown),
                "known": summary_ms(known),
                "unknown": summary_ms(unknown),
                "thread_cpu": summary_ms(self.cpu),
                "lookups_with_own_tags": self.with_own_tags,
                "round_medians": [round(m, 4) for m in self.round_medians],
            },
            "raw_sql": summary_ms(self.raw_ns),
        }


# --------------------------------------------------------------------------------------------
# Driver


class Progress:
    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()
        self.last_tick = 0.0

    def step(self, what: str) -> None:
        print(f"  [{self.label} {time.perf_counter() - self.started:7.1f}s] {what}", flush=True)

    def tick(self, done: int, total: int, what: str) -> None:
        now = time.perf_counter()
        if now - self.last_tick >= 15 and done < total:
            self.last_tick = now
            print(
                f"  [{self.label} {now - self.started:7.1f}s]   {what}: {done:,}/{total:,}",
                flush=True,
            )


def _schema_is_current(path: Path) -> bool:
    database = open_database(f"sqlite:///{path}")
    try:
        return is_current(database)
    finally:
        database.dispose()


def prepare(label: str, n_tags: int, workdir: Path) -> tuple[Path, dict[str, Any]]:
    """Build the database for one size, or reuse a kept one built from the same seed."""
    print(f"== {label}: {n_tags:,} tags", flush=True)
    progress = Progress(label)
    path = workdir / f"lookup-{label}.db"
    meta_path = workdir / f"lookup-{label}.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and path.exists() else None
    if meta is not None and meta.get("format") == FORMAT_VERSION and _schema_is_current(path):
        progress.step(f"reusing {path} (built in {meta['build_s']} s)")
    else:
        for stale in workdir.glob(f"lookup-{label}.*"):
            stale.unlink()
        started = time.perf_counter()
        data = generate(n_tags)
        gen_s = time.perf_counter() - started
        progress.step(f"generated {data.n_buyers:,} buyers, {data.n_sellers:,} sellers")
        timings = build(path, data, progress)
        build_s = time.perf_counter() - started
        meta = {
            "format": FORMAT_VERSION,
            "seed": SEED,
            "tags": n_tags,
            "active_tags": int((data.status == 0).sum()),
            "buyers": data.n_buyers,
            "buyers_with_tags": int(np.unique(data.buyer).size),
            "sellers": data.n_sellers,
            "identifiers": 2 * data.n_buyers,
            "build_s": round(build_s, 1),
            "build_steps_s": {"generate_s": round(gen_s, 2), **timings},
        }
        del data
        meta["disk"] = sizes_on_disk(path)
        progress.step(f"built in {build_s:.0f} s; {human_bytes(meta['disk']['total_bytes'])}")
        meta_path.write_text(json.dumps(meta, indent=2))
    meta["verified"] = verify(path, meta["buyers"], random.Random(SEED))
    progress.step(f"aggregates verified against summarise(): {meta['verified']}")
    return path, meta


def measure(
    prepared: list[tuple[str, Path, dict[str, Any]]], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Warm each database up, then run the lookups in rounds that alternate between the sizes,
    so that load from other processes on the machine falls on every size alike."""
    benches = []
    for label, path, meta in prepared:
        sample = make_probes(
            path, meta["buyers"], meta["sellers"], args.warmup + args.lookups, random.Random(SEED)
        )
        benches.append(SizeBench(label, path, meta, sample))
    try:
        for bench in benches:
            if not args.cold:
                started = time.perf_counter()
                size = read_through(bench.path)
                Progress(bench.label).step(
                    f"read {human_bytes(size)} into the OS page cache in "
                    f"{time.perf_counter() - started:.1f} s"
                )
            bench.warm_up(args.warmup)
        rounds = max(1, args.rounds)
        block = -(-args.lookups // rounds)
        print(f"== timing {args.lookups:,} lookups per size in {rounds} interleaved rounds")
        for r in range(rounds):
            order = benches[r % len(benches) :] + benches[: r % len(benches)]
            for bench in order:
                bench.lookups(block)
            for bench in order:
                bench.raw_lookups(block)
        results = []
        for bench in benches:
            result = bench.result()
            result["lookup_statements"] = bench.lookup_statements()
            progress = Progress(bench.label)
            lk = result["lookup"]["all"]
            progress.step(
                f"lookup median {lk['median']:.3f} ms, p90 {lk['p90']:.3f}, p99 {lk['p99']:.3f}; "
                f"raw SQL median {result['raw_sql']['median']:.3f} ms"
            )
            if args.write_probes:
                result["write_probe"] = bench.write_probe(args.write_probes, random.Random(SEED))
                progress.step(
                    "write probe: add_tag (uncommitted) median "
                    f"{result['write_probe']['add_tag_uncommitted']['median']:.1f} ms"
                )
            results.append(result)
        return results
    finally:
        for bench in benches:
            bench.close()


def read_through(path: Path) -> int:
    """Read the database file once, so that lookups find it in the OS page cache (the kernel may
    have dropped it since the build: this machine reclaims idle pages)."""
    size = 0
    with path.open("rb") as file:
        while block := file.read(16 * 1024 * 1024):
            size += len(block)
    return size


def parse_sizes(text: str) -> list[tuple[str, int]]:
    chosen = []
    for part in text.split(","):
        part = part.strip()
        if part not in SIZES:
            raise argparse.ArgumentTypeError(f"unknown size {part!r}; choose from {list(SIZES)}")
        chosen.append((part, SIZES[part]))
    return chosen


def report(payload: dict[str, Any]) -> str:
    results = payload["sizes"]
    settings = payload["settings"]
    rows = [
        (
            r["label"],
            f"{r['tags']:,}",
            f"{r['buyers']:,}",
            f"{r['sellers']:,}",
            f"{r['lookup']['all']['median']:.3f}",
            f"{r['lookup']['all']['p90']:.3f}",
            f"{r['lookup']['all']['p99']:.3f}",
            f"{r['lookup']['thread_cpu']['median']:.3f}",
            f"{r['lookup']['unknown']['median']:.3f}",
            f"{r['raw_sql']['median']:.3f}",
            f"{r['raw_sql']['p99']:.3f}",
            human_bytes(r["disk"]["total_bytes"]),
            f"{r['build_s']:.0f}",
        )
        for r in results
    ]
    header = (
        "size",
        "tags",
        "buyers",
        "sellers",
        "median ms",
        "p90 ms",
        "p99 ms",
        "CPU median ms",
        "unknown buyer median ms",
        "raw SQL median ms",
        "raw SQL p99 ms",
        "DB on disk",
        "build s",
    )
    lines = [
        "# Lookup latency (SQLite)",
        "",
        f"Measured {payload['date']} on {machine_line(payload['machine'])}. "
        f"{settings['lookups']:,} lookups per size after {settings['warmup']} warm-up lookups, "
        f"in {settings['rounds']} rounds alternating between the sizes; page cache: "
        f"{settings['page_cache']}; "
        f"load average {payload['load_average']['start']} at the start, "
        f"{payload['load_average']['end']} at the end. "
        f"`bench/lookup_latency.py` took {payload['seconds']:.0f} s.",
        "",
        "`services.buyers.look_up_buyer` through `SqlUnitOfWork`, one unit of work per lookup "
        "(as the API does). Random existing buyers by email, platform id or both; half viewed by "
        "a seller who tagged them; 5 % unknown buyers. *CPU* is the thread's CPU time per lookup "
        "(less sensitive to other processes). *Raw SQL* is the lookup's four statements through "
        "bare sqlite3: the database's own share.",
        "",
        markdown_table(header, rows),
        "",
        *ratio_lines(results),
    ]
    if results:
        largest = results[-1]
        lines += [
            "",
            f"## Statements of one lookup ({largest['label']}; plans without ANALYZE, as deployed)",
            "",
            statements_table(largest["lookup_statements"]),
        ]
    probes = [r for r in results if r.get("write_probe")]
    if probes:
        lines += [
            "",
            "## Write path, for comparison (not a lookup)",
            "",
            "`resolve_buyers` + `store_tags` for one new tag on an existing buyer, as "
            "`services.tags.add_tag` runs them (rolled back instead of committed): what keeping "
            "the aggregates costs on write as the registry grows.",
            "",
            markdown_table(
                ("size", "add_tag median ms", "slowest statement ms", "its plan"),
                [
                    (
                        r["label"],
                        f"{r['write_probe']['add_tag_uncommitted']['median']:.1f}",
                        f"{slowest(r)['ms']:.1f}",
                        "; ".join(slowest(r)["plan"]),
                    )
                    for r in probes
                ],
            ),
            "",
            f"Statements of the slowest add_tag at {probes[-1]['label']}:",
            "",
            statements_table(probes[-1]["write_probe"]["statements"]),
        ]
    lines += ["", "## Space per table and index", ""]
    for r in results:
        objects = r["disk"]["objects"]
        top = ", ".join(f"{k} {human_bytes(v)}" for k, v in list(objects.items())[:9])
        lines.append(f"- {r['label']}: {top}")
    return "\n".join(lines)


def slowest(result: dict[str, Any]) -> dict[str, Any]:
    statements = result["write_probe"]["statements"]
    return max(statements, key=lambda e: e["ms"]) if statements else {"ms": 0.0, "plan": []}


def statements_table(statements: list[dict[str, Any]]) -> str:
    return markdown_table(
        ("ms", "statement", "plan"),
        [
            (
                f"{e['ms']:.3f}",
                f"`{e['sql']}`"
                + (f" ({e['executemany_rows']} rows)" if e["executemany_rows"] else ""),
                "; ".join(e["plan"]),
            )
            for e in statements
        ],
    )


def ratio_lines(results: list[dict[str, Any]]) -> list[str]:
    by = {r["label"]: r for r in results}
    if "10k" not in by or len(results) < 2:
        return []
    base = by["10k"]
    lines = []
    for r in results:
        if r is base:
            continue
        ratio = r["lookup"]["all"]["median"] / base["lookup"]["all"]["median"]
        cpu = r["lookup"]["thread_cpu"]["median"] / base["lookup"]["thread_cpu"]["median"]
        raw = r["raw_sql"]["median"] / base["raw_sql"]["median"]
        paired = paired_ratio(r, base)
        verdict = "within" if ratio <= 1.5 else "OVER"
        lines.append(
            f"- median({r['label']}) / median(10k) = **{ratio:.2f}x** ({verdict} the 1.5x "
            f"target); median of the per-round ratios {paired:.2f}x; CPU time {cpu:.2f}x; "
            f"raw SQL {raw:.2f}x"
        )
    return lines


def paired_ratio(result: dict[str, Any], base: dict[str, Any]) -> float:
    """Median over rounds of median(size) / median(10k) in the same round: load that drifts
    between rounds cancels out."""
    pairs = zip(result["lookup"]["round_medians"], base["lookup"]["round_medians"], strict=False)
    return statistics.median(a / b for a, b in pairs)


def machine_line(m: dict[str, Any]) -> str:
    return (
        f"{m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}"
    )


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("10k,1M,10M"),
        help="comma-separated, from 10k, 100k, 1M, 10M (default 10k,1M,10M)",
    )
    parser.add_argument("--lookups", type=int, default=2000, help="timed lookups per size")
    parser.add_argument("--warmup", type=int, default=200, help="untimed lookups per size first")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (default 20)")
    parser.add_argument(
        "--write-probes",
        type=int,
        default=3,
        help="uncommitted add_tag calls timed per size, for comparison (0: none)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="do not read the database files into the page cache before timing",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the databases here and reuse them next time (default: a temporary dir)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    load_start = load_average()
    temporary = args.data_dir is None
    workdir = Path(tempfile.mkdtemp(prefix="buyerguard-bench-")) if temporary else args.data_dir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        prepared = [(label, *prepare(label, n, workdir)) for label, n in args.sizes]
        results = measure(prepared, args)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)

    by = {r["label"]: r for r in results}
    ratios = {}
    for r in results:
        if "10k" in by and r is not by["10k"]:
            ratios[f"median_{r['label']}_over_10k"] = round(
                r["lookup"]["all"]["median"] / by["10k"]["lookup"]["all"]["median"], 3
            )
            ratios[f"paired_{r['label']}_over_10k"] = round(paired_ratio(r, by["10k"]), 3)
    payload = {
        "benchmark": NAME,
        "date": now_iso(),
        "machine": machine(),
        "source": source(),
        "settings": {
            "lookups": args.lookups,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "write_probes": args.write_probes,
            "page_cache": "not warmed (--cold)" if args.cold else "files read before timing",
            "seed": SEED,
            "now": NOW.isoformat(),
        },
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": {"start": load_start, "end": load_average()},
        "memory": rss_mib(),
        "target": "median(10M) / median(10k) <= 1.5",
        "ratios": ratios,
        "sizes": results,
    }
    markdown = report(payload)
    json_path, md_path = write_results(NAME, payload, markdown)
    print()
    print(markdown)
    print(f"\nwrote {json_path} and {md_path} ({payload['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
