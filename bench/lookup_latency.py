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
    summary_ms,
    write_results,
)

from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.profiles import summarise
from buyerguard.domain.reasons import REASONS
from buyerguard.domain.reputation import (
    EPOCH,
    EVENT_BACKED_FACTOR,
    ORDER_BACKED_FACTOR,
    UNBACKED_FACTOR,
)
from buyerguard.services.buyers import look_up_buyer
from buyerguard.storage.database import open_database
from buyerguard.storage.schema import upgrade
from buyerguard.storage.unit_of_work import SqlUnitOfWork

NAME = "lookup_latency"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
SECRET = b"buyerguard-bench-secret-0123456789abcdef"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SEED = 20261130
FORMAT_VERSION = 1  # bump when the generated data changes, so kept databases are rebuilt

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


def aggregate(data: Dataset) -> Aggregates:
    """What refresh_stats would store: per buyer and reason, the active tags' sellers, order-backed
    count, summed anchored weight and first/last time; per buyer, the distinct reporters. No orders
    are generated, so clean_sellers and clean_weight are 0."""
    active = data.status == 0
    buyer, seller, reason = data.buyer[active], data.seller[active], data.reason[active]
    created, backed = data.created[active], data.order_backed[active]
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
            "first_reported_at, last_reported_at) VALUES (?, ?, 0, 0.0, ?, ?)",
            zip(
                (stats.bs_buyer[part] + 1).tolist(),
                stats.bs_reporters[part].tolist(),
                iso(stats.bs_first[part]),
                iso(stats.bs_last[part]),
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


def verify(path: Path, data_buyers: int, rng: random.Random, samples: int = 300) -> dict[str, int]:
    """The stored aggregates of sampled buyers equal summarise() over their active tags, and the
    identifiers hash as the service hashes them. Exits on a mismatch: the figures would be void."""
    i = rng.randrange(data_buyers)
    expected = hash_identifiers({"platform_buyer_id": platform_id(i), "email": email(i)}, SECRET)
    assert [h.digest for h in expected] == [
        digest("platform_buyer_id", platform_id(i)),
        digest("email", email(i)),
    ], "bench digests differ from domain.identifiers.hash_identifier"

    database = open_database(f"sqlite:///{path}")
    checked = with_stats = 0
    try:
        with SqlUnitOfWork(database.sessions) as uow:
            for _ in range(samples):
                buyer_id = rng.randrange(data_buyers) + 1
                facts = uow.tags.active_facts_for_buyers([buyer_id]).get(buyer_id, [])
                trust = uow.sellers.trust_for({f.seller_id for f in facts})
                want = summarise(facts, (), trust)
                got = uow.stats.get(buyer_id)
                checked += 1
                if not facts:
                    if got is not None:
                        sys.exit(f"buyer {buyer_id}: stats stored without active tags")
                    continue
                with_stats += 1
                _compare(buyer_id, want, got)
    finally:
        database.dispose()
    return {"buyers_checked": checked, "with_active_tags": with_stats}


def _compare(buyer_id: int, want: Any, got: Any) -> None:
    if got is None:
        sys.exit(f"buyer {buyer_id}: no stats stored")
    same = (
        got.distinct_reporters == want.distinct_reporters
        and got.clean_sellers == want.clean_sellers
        and got.first_reported_at == want.first_reported_at
        and got.last_reported_at == want.last_reported_at
        and len(got.reasons) == len(want.reasons)
    )
    pairs = zip(
        sorted(got.reasons, key=lambda r: r.reason),
        sorted(want.reasons, key=lambda r: r.reason),
        strict=False,
    )
    for g, w in pairs:
        same = same and (g.reason, g.sellers, g.order_backed, g.first_at, g.last_at) == (
            w.reason,
            w.sellers,
            w.order_backed,
            w.first_at,
            w.last_at,
        )
        same = same and abs(g.anchored_weight - w.anchored_weight) <= 1e-9 * max(
            1.0, abs(w.anchored_weight)
        )
        same = same and g.anchored_weight > 0
    if not same:
        sys.exit(f"buyer {buyer_id}: stored stats differ from summarise():\n{got}\n{want}")


@dataclass(frozen=True)
class Probe:
    buyer: dict[str, object]
    digests: tuple[str, ...]
    viewer_id: int
    expected: int | None  # buyer id, None for an unknown buyer


def probes(
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
                taggers = con.execute(
                    "SELECT seller_id FROM tags WHERE buyer_id = ? AND status = 'active'", (i + 1,)
                ).fetchall()
                if taggers:
                    viewer = rng.choice(taggers)[0]
            found.append(Probe(buyer, digests, viewer, None if unknown else i + 1))
    finally:
        con.close()
    return found


def time_lookups(path: Path, sample: list[Probe], warmup: int) -> dict[str, Any]:
    """Time look_up_buyer per call, as the API calls it: a fresh SqlUnitOfWork per request."""
    database = open_database(f"sqlite:///{path}")
    known_ns: list[int] = []
    unknown_ns: list[int] = []
    mine = 0
    try:
        for probe in sample[:warmup]:
            look_up_buyer(
                SqlUnitOfWork(database.sessions),
                probe.buyer,
                viewer_id=probe.viewer_id,
                secret=SECRET,
                now=NOW,
            )
        rss_before = rss_mib()
        for probe in sample[warmup:]:
            started = time.perf_counter_ns()
            profile = look_up_buyer(
                SqlUnitOfWork(database.sessions),
                probe.buyer,
                viewer_id=probe.viewer_id,
                secret=SECRET,
                now=NOW,
            )
            elapsed = time.perf_counter_ns() - started
            if profile.buyer_id != probe.expected:
                sys.exit(f"lookup of {probe.buyer} found {profile.buyer_id}, not {probe.expected}")
            (unknown_ns if probe.expected is None else known_ns).append(elapsed)
            mine += bool(profile.my_tags)
        rss_after = rss_mib()
    finally:
        database.dispose()
    return {
        "all": summary_ms(known_ns + unknown_ns),
        "known": summary_ms(known_ns),
        "unknown": summary_ms(unknown_ns),
        "lookups_with_own_tags": mine,
        "rss_mib_before": rss_before["rss_mib"],
        "rss_mib_after": rss_after["rss_mib"],
    }


LOOKUP_SQL = {
    "find_buyers": "SELECT digest, buyer_id FROM buyer_identifiers WHERE digest IN (?, ?)",
    "stats": "SELECT * FROM buyer_stats WHERE buyer_id = ?",
    "reason_stats": "SELECT * FROM buyer_reason_stats WHERE buyer_id = ?",
    "my_tags": "SELECT * FROM tags WHERE buyer_id = ? AND seller_id = ? AND status = 'active' "
    "ORDER BY id",
}


def time_raw_sql(path: Path, sample: list[Probe], warmup: int) -> dict[str, Any]:
    """The same four statements through bare sqlite3: the database's share of a lookup."""
    con = sqlite3.connect(path)
    plans = {
        name: [row[3] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}", (1, 1)[: sql.count("?")])]
        for name, sql in LOOKUP_SQL.items()
    }
    elapsed: list[int] = []
    for n, probe in enumerate(sample):
        started = time.perf_counter_ns()
        marks = ",".join("?" * len(probe.digests))
        rows = con.execute(
            f"SELECT digest, buyer_id FROM buyer_identifiers WHERE digest IN ({marks})",
            probe.digests,
        ).fetchall()
        if rows:
            buyer_id = min(r[1] for r in rows)
            con.execute(LOOKUP_SQL["stats"], (buyer_id,)).fetchall()
            con.execute(LOOKUP_SQL["reason_stats"], (buyer_id,)).fetchall()
            con.execute(LOOKUP_SQL["my_tags"], (buyer_id, probe.viewer_id)).fetchall()
        if n >= warmup:
            elapsed.append(time.perf_counter_ns() - started)
    con.close()
    return {"summary": summary_ms(elapsed), "plans": plans}


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


def run_size(label: str, n_tags: int, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {label}: {n_tags:,} tags", flush=True)
    progress = Progress(label)
    path = workdir / f"lookup-{label}.db"
    meta_path = workdir / f"lookup-{label}.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and path.exists() else None
    if meta is not None and meta.get("format") == FORMAT_VERSION and meta.get("seed") == SEED:
        progress.step(f"reusing {path}")
    else:
        for stale in workdir.glob(f"lookup-{label}.db*"):
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
            "buyers": data.n_buyers,
            "sellers": data.n_sellers,
            "identifiers": 2 * data.n_buyers,
            "active_tags": int((data.status == 0).sum()),
            "buyers_with_tags": int(np.unique(data.buyer).size),
            "build_s": round(build_s, 1),
            "build_steps_s": {"generate_s": round(gen_s, 2), **timings},
        }
        del data
        meta["disk"] = sizes_on_disk(path)
        progress.step(f"built in {build_s:.0f}s; {human_bytes(meta['disk']['total_bytes'])}")
        meta_path.write_text(json.dumps(meta, indent=2))

    rng = random.Random(SEED)
    meta["verified"] = verify(path, meta["buyers"], rng)
    progress.step(f"verified {meta['verified']}")
    sample = probes(path, meta["buyers"], meta["sellers"], args.warmup + args.lookups, rng)
    result = time_lookups(path, sample, args.warmup)
    progress.step(
        f"lookup median {result['all']['median']:.3f} ms, p90 {result['all']['p90']:.3f}, "
        f"p99 {result['all']['p99']:.3f}"
    )
    raw = time_raw_sql(path, sample, args.warmup)
    progress.step(f"raw SQL median {raw['summary']['median']:.3f} ms")
    return {"label": label, **meta, "lookup": result, "raw_sql": raw}


def parse_sizes(text: str) -> list[tuple[str, int]]:
    chosen = []
    for part in text.split(","):
        part = part.strip()
        if part not in SIZES:
            raise argparse.ArgumentTypeError(f"unknown size {part!r}; choose from {list(SIZES)}")
        chosen.append((part, SIZES[part]))
    return chosen


def report(results: list[dict[str, Any]], args: argparse.Namespace, took: float) -> str:
    rows = []
    for r in results:
        lk = r["lookup"]
        rows.append(
            (
                r["label"],
                f"{r['tags']:,}",
                f"{r['buyers']:,}",
                f"{r['sellers']:,}",
                f"{lk['all']['median']:.3f}",
                f"{lk['all']['p90']:.3f}",
                f"{lk['all']['p99']:.3f}",
                f"{lk['unknown']['median']:.3f}",
                f"{r['raw_sql']['summary']['median']:.3f}",
                f"{r['raw_sql']['summary']['p99']:.3f}",
                human_bytes(r["disk"]["total_bytes"]),
                f"{r['build_s']:.0f}",
            )
        )
    header = (
        "size",
        "tags",
        "buyers",
        "sellers",
        "median ms",
        "p90 ms",
        "p99 ms",
        "unknown-buyer median ms",
        "raw SQL median ms",
        "raw SQL p99 ms",
        "DB on disk",
        "build s",
    )
    lines = [
        "# Lookup latency (SQLite)",
        "",
        f"Measured {now_iso()} on {machine_line()}; {args.lookups:,} lookups per size after "
        f"{args.warmup} warm-up lookups; warm OS page cache. "
        f"Script: `bench/lookup_latency.py`, {took:.0f} s in all.",
        "",
        "`services.buyers.look_up_buyer` through `SqlUnitOfWork`, one unit of work per lookup "
        "(as the API). Random existing buyers by email, platform id or both; half viewed by a "
        "seller who tagged them; 5 % unknown buyers. Raw SQL is the same four statements "
        "through bare sqlite3 (no hashing, no ORM).",
        "",
        markdown_table(header, rows),
        "",
    ]
    lines += ratio_lines(results)
    lines += ["", "## Space per table and index", ""]
    for r in results:
        objects = r["disk"]["objects"]
        top = ", ".join(f"{k} {human_bytes(v)}" for k, v in list(objects.items())[:8])
        lines.append(f"- {r['label']}: {top}")
    if results:
        lines += ["", "## Query plans (largest size)", ""]
        for name, plan in results[-1]["raw_sql"]["plans"].items():
            lines.append(f"- {name}: {'; '.join(plan)}")
    return "\n".join(lines)


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
        raw = r["raw_sql"]["summary"]["median"] / base["raw_sql"]["summary"]["median"]
        verdict = "within" if ratio <= 1.5 else "OVER"
        lines.append(
            f"- median({r['label']}) / median(10k) = **{ratio:.2f}x** ({verdict} the 1.5x target); "
            f"raw SQL {raw:.2f}x"
        )
    return lines


def machine_line() -> str:
    m = machine()
    return (
        f"{m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("10k,1M,10M"),
        help="comma-separated, from 10k, 100k, 1M, 10M (default 10k,1M,10M)",
    )
    parser.add_argument("--lookups", type=int, default=2000, help="timed lookups per size")
    parser.add_argument("--warmup", type=int, default=200, help="untimed lookups first")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the databases here and reuse them next time (default: a temporary dir)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    temporary = None
    if args.data_dir is None:
        temporary = tempfile.mkdtemp(prefix="buyerguard-bench-")
        workdir = Path(temporary)
    else:
        workdir = args.data_dir
        workdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for label, n_tags in args.sizes:
            results.append(run_size(label, n_tags, workdir, args))
            if temporary is not None:
                for done in workdir.glob(f"lookup-{label}.*"):
                    done.unlink()
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    took = time.perf_counter() - started

    ratios = {}
    by = {r["label"]: r for r in results}
    if "10k" in by:
        for r in results:
            ratios[f"median_{r['label']}_over_10k"] = round(
                r["lookup"]["all"]["median"] / by["10k"]["lookup"]["all"]["median"], 3
            )
    payload = {
        "benchmark": NAME,
        "date": now_iso(),
        "machine": machine(),
        "settings": {
            "lookups": args.lookups,
            "warmup": args.warmup,
            "seed": SEED,
            "now": NOW.isoformat(),
        },
        "seconds": round(took, 1),
        "peak_rss_mib": rss_mib()["peak_rss_mib"],
        "ratios": ratios,
        "target": "median(10M) / median(10k) <= 1.5",
        "sizes": results,
    }
    markdown = report(results, args, took)
    json_path, md_path = write_results(NAME, payload, markdown)
    print()
    print(markdown)
    print(f"\nwrote {json_path} and {md_path} ({took:.0f} s)")


if __name__ == "__main__":
    main()
