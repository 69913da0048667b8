"""Registries for the screening benchmarks (bench/screening_inprocess.py, bench/screening_http.py).

A registry is a data directory laid out as `buyerguard serve` expects it (`buyerguard.db` inside
`BUYERGUARD_DATA_DIR`), so the same files serve the in-process and the HTTP benchmark. It holds:

- the real schema, from `buyerguard.storage.schema.upgrade` (the packaged migrations);
- sellers (Zipf-like activity, trust from a Beta distribution), buyers with two identifiers each
  (platform id and email) stored as `domain.identifiers.hash_identifier` stores them under the
  bench secret;
- tags over (seller, buyer, reason) triples that are all distinct (so at most one active tag per
  triple), 90 % active, the rest expired, retracted or removed; 40 % carry an order reference and
  most of those are order-backed, with the matching order recorded;
- completed clean orders (positive evidence) and an earlier decision log of screened orders;
- the per-buyer aggregates `buyer_stats` / `buyer_reason_stats` computed with numpy exactly as
  `domain.profiles.summarise` does, checked against `summarise` on a sample of buyers;
- for the screening seller (the most active reporter): two saved policy versions (the second is
  `POLICY`, five rules), an API key (`API_KEY`), and entries on four lists.

Bulk rows go in through bare sqlite3 with the secondary indexes dropped and recreated from their
own DDL afterwards, so the schema is exactly the migrated one. The policy, lists and API key go
through the services, as a seller would create them.

`reset` removes whatever a benchmark run added (screenings, orders, buyers created for unknown
identifiers), so a kept registry gives the same starting point every time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.profiles import BuyerStats, summarise, tag_facts
from buyerguard.domain.reasons import REASONS
from buyerguard.domain.reputation import (
    EPOCH,
    EVENT_BACKED_FACTOR,
    ORDER_BACKED_FACTOR,
    UNBACKED_FACTOR,
)
from buyerguard.domain.sellers import hash_api_key, new_api_key, shown_part
from buyerguard.domain.tags import TagSource
from buyerguard.services.lists import put_entry
from buyerguard.services.policies import save_policy
from buyerguard.storage.database import open_database
from buyerguard.storage.schema import alembic_config, is_current, upgrade
from buyerguard.storage.unit_of_work import SqlUnitOfWork

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
# Text, because BUYERGUARD_SECRET_KEY is text and the server encodes it (config.identifier_secret).
SECRET_TEXT = "buyerguard-screening-bench-secret-0123456789abcdef"
SECRET = SECRET_TEXT.encode()
API_KEY = new_api_key(hashlib.sha256(b"buyerguard screening bench api key").digest()[:24])
NOW = datetime(2026, 11, 30, tzinfo=UTC)
SEED = 20261130
FORMAT_VERSION = 2  # bump when the generated data changes, so that kept registries are rebuilt
DB_FILE = "buyerguard.db"
META_FILE = "bench-meta.json"

TAGS_PER_BUYER = 2.5
CLEAN_ORDERS_PER_TAG = 0.25
LOGGED_SCREENINGS_PER_TAG = 0.1
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
NOTES = ("", "", "", "refund after delivery", "chargeback", "refused the parcel", "no payment")

# The screening seller's policy: five rules over sellers("..."), level, order.amount,
# order.payment_method, order.ship_to.country, a literal list and two of the seller's own lists.
# When none fires the order ships, so a clean buyer costs all five evaluations (the worst case).
POLICY = """\
# bench policy (five rules)
decline if buyer in list("blocked") || (level == "high" && sellers("card_fraud") + sellers("non_payment") >= 2)
require_prepayment if order.payment_method == "cod" && (sellers("cod_refusal") >= 1 || sellers("unpaid_order") >= 2)
review if order.amount >= 500.0 && order.ship_to.country in ["DZ", "MA", "TN", "NG", "BD"]
decline if level == "high" && !(buyer in list("vip"))
review if level == "medium" && (order.amount > 200.0 || sellers("frequent_returns") >= 2)
"""  # noqa: E501
FIRST_POLICY = 'decline if level == "high"\nship\n'
LISTS = {"blocked": 10, "vip": 10, "block": 5, "allow": 5}

US = 1_000_000
DAY_US = 86_400 * US
CHUNK = 250_000
REASON_BITS = 16  # (buyer, reason) packed as buyer * 16 + reason


def _us(moment: datetime) -> int:
    return int(moment.timestamp()) * US + moment.microsecond


NOW_US = _us(NOW)
EPOCH_US = _us(EPOCH)


# --------------------------------------------------------------------------------------------
# Identifiers (buyer id = index + 1)


def platform_id(i: int) -> str:
    return f"{PLATFORMS[i % len(PLATFORMS)]}:B{i:08d}"


def email(i: int) -> str:
    return f"buyer.{i}@mail{i % 97}.example.com"


def buyer_identifiers(i: int, which: str = "both") -> dict[str, object]:
    """The identifiers a seller would send for buyer index i: "email", "platform" or "both"."""
    found: dict[str, object] = {}
    if which in ("email", "both"):
        found["email"] = email(i)
    if which in ("platform", "both"):
        found["platform_buyer_id"] = platform_id(i)
    return found


def digest(kind: str, value: str) -> str:
    """domain.identifiers.hash_identifier of an already normalised value (checked in verify)."""
    return hmac.digest(SECRET, f"{kind}:{value}".encode(), "sha256").hex()


# --------------------------------------------------------------------------------------------
# Generating the rows


@dataclass
class Generated:
    n_tags: int
    n_buyers: int
    n_sellers: int
    trust: np.ndarray  # per seller
    # tags, in id order (ids 1..n in time order)
    t_buyer: np.ndarray  # 0-based buyer index
    t_seller: np.ndarray  # 0-based seller index
    t_reason: np.ndarray
    t_created: np.ndarray  # microseconds since the Unix epoch
    t_expires: np.ndarray
    t_ended: np.ndarray
    t_status: np.ndarray
    t_source: np.ndarray
    t_backed: np.ndarray
    t_has_ref: np.ndarray
    t_note: np.ndarray
    # clean (completed) orders
    c_buyer: np.ndarray
    c_seller: np.ndarray
    c_created: np.ndarray
    # earlier decision log (screened orders, not completed)
    s_buyer: np.ndarray
    s_seller: np.ndarray
    s_created: np.ndarray
    s_amount: np.ndarray


def generate(n_tags: int) -> Generated:
    rng = np.random.default_rng(SEED + n_tags)
    n_buyers = max(1, round(n_tags / TAGS_PER_BUYER))
    n_sellers = int(min(max(n_tags // 500, 100), 20_000))
    weight = 1.0 / (np.arange(n_sellers) + 10.0) ** 0.9
    seller_p = weight[rng.permutation(n_sellers)]
    seller_p /= seller_p.sum()
    reason_p = np.array([REASON_SHARE[c] for c in REASON_CODES])
    reason_p /= reason_p.sum()
    n_reasons = len(REASON_CODES)

    counts = rng.geometric(1 / TAGS_PER_BUYER, n_buyers)
    heavy = rng.random(n_buyers) < 0.001  # a few buyers everybody complains about
    counts[heavy] += rng.integers(20, 200, int(heavy.sum()))
    buyer = np.repeat(np.arange(n_buyers, dtype=np.int64), counts)
    seller = rng.choice(n_sellers, buyer.size, p=seller_p).astype(np.int64)
    reason = rng.choice(n_reasons, buyer.size, p=reason_p).astype(np.int64)
    while True:  # make every (seller, buyer, reason) distinct, topping up until there are enough
        key = (buyer * n_sellers + seller) * REASON_BITS + reason
        _, first = np.unique(key, return_index=True)
        buyer, seller, reason = buyer[first], seller[first], reason[first]
        if buyer.size >= n_tags:
            break
        extra = n_tags - buyer.size + 1000
        buyer = np.concatenate([buyer, rng.integers(0, n_buyers, extra)])
        seller = np.concatenate([seller, rng.choice(n_sellers, extra, p=seller_p)])
        reason = np.concatenate([reason, rng.choice(n_reasons, extra, p=reason_p)])
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

    n_clean = int(n_tags * CLEAN_ORDERS_PER_TAG)
    n_logged = int(n_tags * LOGGED_SCREENINGS_PER_TAG)
    return Generated(
        n_tags=n_tags,
        n_buyers=n_buyers,
        n_sellers=n_sellers,
        trust=np.round(rng.beta(2.0, 3.0, n_sellers), 6),
        t_buyer=buyer,
        t_seller=seller,
        t_reason=reason,
        t_created=created,
        t_expires=expires,
        t_ended=ended,
        t_status=status,
        t_source=rng.choice(3, n_tags, p=[0.65, 0.25, 0.10]),
        t_backed=has_ref & (rng.random(n_tags) < 0.8),
        t_has_ref=has_ref,
        t_note=rng.integers(0, len(NOTES), n_tags),
        c_buyer=rng.integers(0, n_buyers, n_clean),
        c_seller=rng.choice(n_sellers, n_clean, p=seller_p).astype(np.int64),
        c_created=np.sort(NOW_US - rng.integers(10 * DAY_US, 2 * 365 * DAY_US, n_clean)),
        s_buyer=rng.integers(0, n_buyers, n_logged),
        s_seller=rng.choice(n_sellers, n_logged, p=seller_p).astype(np.int64),
        s_created=np.sort(NOW_US - rng.integers(3600 * US, 365 * DAY_US, n_logged)),
        s_amount=np.round(rng.lognormal(4.0, 1.0, n_logged), 2),
    )


@dataclass
class Aggregates:
    """buyer_reason_stats rows (rs_*) and buyer_stats rows (bs_*) as numpy columns."""

    rs_buyer: np.ndarray
    rs_reason: np.ndarray
    rs_sellers: np.ndarray
    rs_backed: np.ndarray
    rs_weight: np.ndarray
    rs_first: np.ndarray
    rs_last: np.ndarray
    bs_buyer: np.ndarray
    bs_reporters: np.ndarray
    bs_clean: np.ndarray
    bs_clean_weight: np.ndarray
    bs_first: np.ndarray  # -1: never reported (clean orders only)
    bs_last: np.ndarray
    bs_next_expiry: np.ndarray  # -1: no active tag


def aggregate(g: Generated) -> Aggregates:
    """What services.buyers.refresh_stats stores: summarise() over each buyer's active tags and
    clean-order sellers, vectorised."""
    active = g.t_status == 0
    buyer, seller, reason = g.t_buyer[active], g.t_seller[active], g.t_reason[active]
    created, backed = g.t_created[active], g.t_backed[active]
    expires = g.t_expires[active]
    factor = np.where(
        g.t_source[active] == SOURCES.index("event"),
        EVENT_BACKED_FACTOR,
        np.where(backed, ORDER_BACKED_FACTOR, UNBACKED_FACTOR),
    )
    half_life = np.array([r.half_life.total_seconds() * US for r in REASONS])
    weight = (
        np.clip(g.trust[seller], 0.0, 1.0)
        * factor
        * np.exp2((created - EPOCH_US) / half_life[reason])
    )
    key = buyer * REASON_BITS + reason
    order = np.argsort(key, kind="stable")
    keys, starts, counts = np.unique(key[order], return_index=True, return_counts=True)
    rs_buyer = keys // REASON_BITS
    rs_first = np.minimum.reduceat(created[order], starts)
    rs_last = np.maximum.reduceat(created[order], starts)
    rs_next_expiry = np.minimum.reduceat(expires[order], starts)

    reporters = np.bincount(
        np.unique(buyer * g.n_sellers + seller) // g.n_sellers, minlength=g.n_buyers
    )
    # Clean-order sellers, minus those who accuse the buyer of misconduct.
    misconduct = np.array([r.misconduct for r in REASONS])[reason]
    accusers = np.unique(buyer[misconduct] * g.n_sellers + seller[misconduct])
    pairs = np.unique(g.c_buyer * g.n_sellers + g.c_seller)
    pairs = pairs[~np.isin(pairs, accusers, assume_unique=True)]
    clean = np.bincount(pairs // g.n_sellers, minlength=g.n_buyers)
    clean_weight = np.bincount(
        pairs // g.n_sellers, weights=g.trust[pairs % g.n_sellers], minlength=g.n_buyers
    )

    tagged, tag_starts = np.unique(rs_buyer, return_index=True)
    first = np.full(g.n_buyers, -1, dtype=np.int64)
    last = np.full(g.n_buyers, -1, dtype=np.int64)
    next_expiry = np.full(g.n_buyers, -1, dtype=np.int64)
    first[tagged] = np.minimum.reduceat(rs_first, tag_starts)
    last[tagged] = np.maximum.reduceat(rs_last, tag_starts)
    next_expiry[tagged] = np.minimum.reduceat(rs_next_expiry, tag_starts)
    bs_buyer = np.flatnonzero((reporters > 0) | (clean > 0))
    return Aggregates(
        rs_buyer=rs_buyer,
        rs_reason=keys % REASON_BITS,
        rs_sellers=counts,
        rs_backed=np.add.reduceat(backed[order].astype(np.int64), starts),
        rs_weight=np.add.reduceat(weight[order], starts),
        rs_first=rs_first,
        rs_last=rs_last,
        bs_buyer=bs_buyer,
        bs_reporters=reporters[bs_buyer],
        bs_clean=clean[bs_buyer],
        bs_clean_weight=clean_weight[bs_buyer],
        bs_first=first[bs_buyer],
        bs_last=last[bs_buyer],
        bs_next_expiry=next_expiry[bs_buyer],
    )


# --------------------------------------------------------------------------------------------
# Writing the database


def iso(values: np.ndarray) -> list[str | None]:
    """Microseconds since the epoch as SQLAlchemy's SQLite DATETIME text (UTC, no zone); -1 None."""
    text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us").tolist()
    return [
        None if v < 0 else s.replace("T", " ") for s, v in zip(text, values.tolist(), strict=True)
    ]


def _chunks(n: int, size: int = CHUNK) -> list[slice]:
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]


class Progress:
    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()

    def step(self, what: str) -> None:
        print(f"  [{self.label} {time.perf_counter() - self.started:7.1f}s] {what}", flush=True)


def _build(path: Path, g: Generated, progress: Progress) -> dict[str, Any]:
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
    bulk = ("tags", "buyer_identifiers", "orders", "screenings", "buyers")
    marks = ",".join("?" * len(bulk))
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        bulk,
    ).fetchall()
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")

    con.execute("BEGIN")
    _insert_people(con, g)
    progress.step(f"{g.n_sellers:,} sellers, {g.n_buyers:,} buyers, {2 * g.n_buyers:,} identifiers")
    order_id = _insert_tags(con, g)
    progress.step(f"{g.n_tags:,} tags, {order_id:,} orders behind order-backed tags")
    order_id = _insert_orders_and_log(con, g, order_id)
    progress.step(f"{g.c_buyer.size:,} clean orders, {g.s_buyer.size:,} logged screenings")
    stats = aggregate(g)
    _insert_stats(con, stats)
    con.execute("COMMIT")
    progress.step(
        f"aggregates: {stats.bs_buyer.size:,} buyer_stats, {stats.rs_buyer.size:,} reason rows"
    )
    for _, sql in indexes:
        con.execute(sql)
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    progress.step(f"{len(indexes)} indexes recreated")

    active = g.t_status == 0
    per_seller = np.bincount(g.t_seller[active], minlength=g.n_sellers)
    return {
        "tags": g.n_tags,
        "active_tags": int(active.sum()),
        "buyers": g.n_buyers,
        "buyers_with_tags": int(np.unique(g.t_buyer).size),
        "sellers": g.n_sellers,
        "identifiers": 2 * g.n_buyers,
        "orders": order_id,
        "logged_screenings": int(g.s_buyer.size),
        "screening_seller": int(per_seller.argmax()) + 1,
        "screening_seller_active_tags": int(per_seller.max()),
    }


def _insert_people(con: sqlite3.Connection, g: Generated) -> None:
    joined = iso(np.array([NOW_US - 4 * 365 * DAY_US]))[0]
    con.executemany(
        "INSERT INTO sellers (id, name, role, trust, created_at, trust_updated_at) "
        "VALUES (?, ?, 'seller', ?, ?, NULL)",
        [(i + 1, f"seller-{i + 1:05d}", t, joined) for i, t in enumerate(g.trust.tolist())],
    )
    first_seen = np.full(g.n_buyers, NOW_US - 30 * DAY_US)
    seen, first = np.unique(g.t_buyer, return_index=True)  # tags are in time order
    first_seen[seen] = g.t_created[first]
    for part in _chunks(g.n_buyers):
        at = iso(first_seen[part])
        con.executemany(
            "INSERT INTO buyers (id, created_at, merged_into) VALUES (?, ?, NULL)",
            zip(range(part.start + 1, part.stop + 1), at, strict=True),
        )
        rows = []
        for offset, i in enumerate(range(part.start, part.stop)):
            pid = digest("platform_buyer_id", platform_id(i))
            rows.append((pid, "platform_buyer_id", i + 1, at[offset]))
            rows.append((digest("email", email(i)), "email", i + 1, at[offset]))
        con.executemany(
            "INSERT INTO buyer_identifiers (digest, kind, buyer_id, created_at) VALUES (?,?,?,?)",
            rows,
        )


def _insert_tags(con: sqlite3.Connection, g: Generated) -> int:
    """Tags, and the orders behind the order-backed ones; returns the last order id."""
    reasons = np.array(REASON_CODES, dtype=object)
    statuses = np.array(STATUSES, dtype=object)
    sources = np.array(SOURCES, dtype=object)
    notes = np.array(NOTES, dtype=object)
    order_id = 0
    for part in _chunks(g.n_tags):
        ids = range(part.start + 1, part.stop + 1)
        status = g.t_status[part]
        refs = [
            f"ORD-{i}" if h else None for i, h in zip(ids, g.t_has_ref[part].tolist(), strict=True)
        ]
        ended = iso(g.t_ended[part])
        created = iso(g.t_created[part])
        con.executemany(
            "INSERT INTO tags (id, buyer_id, seller_id, reason, note, order_ref, source, status, "
            "order_backed, created_at, expires_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            zip(
                ids,
                (g.t_buyer[part] + 1).tolist(),
                (g.t_seller[part] + 1).tolist(),
                reasons[g.t_reason[part]].tolist(),
                notes[g.t_note[part]].tolist(),
                refs,
                sources[g.t_source[part]].tolist(),
                statuses[status].tolist(),
                g.t_backed[part].astype(np.int64).tolist(),
                created,
                iso(g.t_expires[part]),
                [e if s else None for e, s in zip(ended, status.tolist(), strict=True)],
                strict=True,
            ),
        )
        # An order-backed tag names an order the registry saw between that seller and buyer.
        backed = np.flatnonzero(g.t_backed[part])
        order_at = iso(g.t_created[part][backed] - DAY_US)
        con.executemany(
            "INSERT INTO orders (id, seller_id, buyer_id, order_ref, completed, created_at, "
            "completed_at) VALUES (?, ?, ?, ?, 0, ?, NULL)",
            zip(
                range(order_id + 1, order_id + 1 + backed.size),
                (g.t_seller[part][backed] + 1).tolist(),
                (g.t_buyer[part][backed] + 1).tolist(),
                [refs[k] for k in backed.tolist()],
                order_at,
                strict=True,
            ),
        )
        order_id += backed.size
    return order_id


def _insert_orders_and_log(con: sqlite3.Connection, g: Generated, order_id: int) -> int:
    """Clean (completed) orders, then earlier screenings with their orders."""
    for part in _chunks(g.c_buyer.size):
        at = iso(g.c_created[part])
        done = iso(g.c_created[part] + 5 * DAY_US)
        n = part.stop - part.start
        con.executemany(
            "INSERT INTO orders (id, seller_id, buyer_id, order_ref, completed, created_at, "
            "completed_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
            zip(
                range(order_id + 1, order_id + 1 + n),
                (g.c_seller[part] + 1).tolist(),
                (g.c_buyer[part] + 1).tolist(),
                [f"CLN-{k}" for k in range(part.start, part.stop)],
                at,
                done,
                strict=True,
            ),
        )
        order_id += n
    facts = json.dumps(
        {
            "risk": 0.04,
            "level": "low",
            "logistics_risk": 0.04,
            "sellers": {},
            "mine": [],
            "distinct_reporters": 0,
            "clean_sellers": 0,
            "order_backed": 0,
            "days_since_last_tag": 100000,
            "lists": [],
        }
    )
    reasons_json = json.dumps(
        [
            {
                "code": "no_rule_matched",
                "message": "No rule matched, so the order ships",
                "evidence": {},
            }
        ]
    )
    for part in _chunks(g.s_buyer.size):
        at = iso(g.s_created[part])
        n = part.stop - part.start
        refs = [f"LOG-{k}" for k in range(part.start, part.stop)]
        sellers = (g.s_seller[part] + 1).tolist()
        buyers = (g.s_buyer[part] + 1).tolist()
        con.executemany(
            "INSERT INTO orders (id, seller_id, buyer_id, order_ref, completed, created_at, "
            "completed_at) VALUES (?, ?, ?, ?, 0, ?, NULL)",
            zip(range(order_id + 1, order_id + 1 + n), sellers, buyers, refs, at, strict=True),
        )
        order_id += n
        con.executemany(
            "INSERT INTO screenings (id, seller_id, buyer_id, order_ref, amount, currency, "
            "payment_method, country, region, postal_code, action, rule_line, rule_source, "
            "policy_version, risk_score, risk_level, facts, reasons, created_at) VALUES "
            "(?, ?, ?, ?, ?, 'EUR', 'prepaid', 'DE', '', '', 'ship', NULL, NULL, 0, 0.04, 'low', "
            "?, ?, ?)",
            (
                (part.start + k + 1, sellers[k], buyers[k], refs[k], amount, facts, reasons_json, a)
                for k, (amount, a) in enumerate(zip(g.s_amount[part].tolist(), at, strict=True))
            ),
        )
    return order_id


def _insert_stats(con: sqlite3.Connection, stats: Aggregates) -> None:
    reasons = np.array(REASON_CODES, dtype=object)
    for part in _chunks(stats.bs_buyer.size):
        con.executemany(
            "INSERT INTO buyer_stats (buyer_id, distinct_reporters, clean_sellers, clean_weight, "
            "first_reported_at, last_reported_at, next_expiry_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(
                (stats.bs_buyer[part] + 1).tolist(),
                stats.bs_reporters[part].tolist(),
                stats.bs_clean[part].tolist(),
                stats.bs_clean_weight[part].tolist(),
                iso(stats.bs_first[part]),
                iso(stats.bs_last[part]),
                iso(stats.bs_next_expiry[part]),
                strict=True,
            ),
        )
    for part in _chunks(stats.rs_buyer.size):
        con.executemany(
            "INSERT INTO buyer_reason_stats (buyer_id, reason, sellers, order_backed, "
            "anchored_weight, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(
                (stats.rs_buyer[part] + 1).tolist(),
                reasons[stats.rs_reason[part]].tolist(),
                stats.rs_sellers[part].tolist(),
                stats.rs_backed[part].tolist(),
                stats.rs_weight[part].tolist(),
                iso(stats.rs_first[part]),
                iso(stats.rs_last[part]),
                strict=True,
            ),
        )


def _configure_seller(path: Path, meta: dict[str, Any], progress: Progress) -> None:
    """Policy (two versions), API key and list entries, through the services."""
    seller_id = meta["screening_seller"]
    database = open_database(f"sqlite:///{path}")
    try:
        uow = SqlUnitOfWork(database.sessions)
        save_policy(uow, FIRST_POLICY, seller_id=seller_id, now=NOW - timedelta(days=30))
        version = save_policy(uow, POLICY, seller_id=seller_id, now=NOW - timedelta(days=1))
        with uow:
            uow.sellers.add_api_key(
                seller_id, hash_api_key(API_KEY), prefix=shown_part(API_KEY), now=NOW
            )
            uow.commit()
        rng = random.Random(SEED)
        listed: dict[str, list[int]] = {}
        for name, count in LISTS.items():
            listed[name] = rng.sample(range(meta["buyers"]), count)
            for i in listed[name]:
                put_entry(
                    uow,
                    name,
                    buyer_identifiers(i),
                    seller_id=seller_id,
                    note="bench",
                    expires_at=None,
                    secret=SECRET,
                    now=NOW - timedelta(days=2),
                )
    finally:
        database.dispose()
    meta["policy_version"] = version.version
    meta["listed"] = listed
    progress.step(f"seller {seller_id}: policy v{version.version}, API key, list entries")


def _base_ids(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {
            table: con.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
            for table in ("screenings", "orders", "buyers")
        }
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Checking


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def verify(path: Path, meta: dict[str, Any], samples: int = 300) -> dict[str, int]:
    """Sampled buyers' stored aggregates, read by SqlStatsRepository, equal summarise() over their
    active tags and clean orders; the identifiers hash as the service hashes them."""
    rng = random.Random(SEED)
    i = rng.randrange(meta["buyers"])
    expected = [h.digest for h in hash_identifiers(buyer_identifiers(i), SECRET)]
    if expected != [digest("platform_buyer_id", platform_id(i)), digest("email", email(i))]:
        sys.exit("bench digests differ from domain.identifiers.hash_identifier")
    con = sqlite3.connect(path)
    trust = dict(con.execute("SELECT id, trust FROM sellers").fetchall())
    database = open_database(f"sqlite:///{path}")
    checked = with_stats = 0
    try:
        with SqlUnitOfWork(database.sessions) as uow:
            for _ in range(samples):
                buyer_id = rng.randrange(meta["buyers"]) + 1
                facts = [
                    tag_facts(
                        s,
                        r,
                        order_backed=bool(b),
                        source=TagSource(src),
                        created_at=_utc(c),
                        confirmed_at=None,
                        expires_at=_utc(e),
                    )
                    for s, r, b, src, c, e in con.execute(
                        "SELECT seller_id, reason, order_backed, source, created_at, expires_at "
                        "FROM tags WHERE buyer_id = ? AND status = 'active'",
                        (buyer_id,),
                    )
                ]
                cleans = [
                    s
                    for (s,) in con.execute(
                        "SELECT DISTINCT seller_id FROM orders WHERE buyer_id = ? AND completed",
                        (buyer_id,),
                    )
                ]
                want = summarise(facts, cleans, trust, now=NOW)
                got = uow.stats.get(buyer_id)
                checked += 1
                if not want.distinct_reporters and not want.clean_sellers:
                    if got is not None:
                        sys.exit(f"buyer {buyer_id}: stats stored for a buyer without evidence")
                    continue
                with_stats += 1
                _compare(buyer_id, want, got)
    finally:
        database.dispose()
        con.close()
    return {"buyers_checked": checked, "with_stats": with_stats}


def _compare(buyer_id: int, want: BuyerStats, got: BuyerStats | None) -> None:
    same = got is not None and (
        (
            got.distinct_reporters,
            got.clean_sellers,
            got.first_reported_at,
            got.last_reported_at,
            got.next_expiry_at,
        )
        == (
            want.distinct_reporters,
            want.clean_sellers,
            want.first_reported_at,
            want.last_reported_at,
            want.next_expiry_at,
        )
        and abs(got.clean_weight - want.clean_weight) <= 1e-9 * max(1.0, want.clean_weight)
        and len(got.reasons) == len(want.reasons)
    )
    if got is not None:
        by_code = sorted(got.reasons, key=lambda r: r.reason)
        for g, w in zip(by_code, sorted(want.reasons, key=lambda r: r.reason), strict=False):
            same = (
                same
                and (g.reason, g.sellers, g.order_backed, g.first_at, g.last_at)
                == (w.reason, w.sellers, w.order_backed, w.first_at, w.last_at)
                and abs(g.anchored_weight - w.anchored_weight) <= 1e-9 * max(1.0, w.anchored_weight)
            )
    if not same:
        sys.exit(f"buyer {buyer_id}: stored stats differ from summarise():\n{got}\n{want}")


# --------------------------------------------------------------------------------------------
# Preparing, reusing and resetting


@dataclass
class Registry:
    label: str
    data_dir: Path
    meta: dict[str, Any]

    @property
    def path(self) -> Path:
        return self.data_dir / DB_FILE

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


def _head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def _current(path: Path) -> bool:
    database = open_database(f"sqlite:///{path}")
    try:
        return is_current(database)
    finally:
        database.dispose()


def _active_tags(path: Path) -> int:
    """Changed since the build only if something else wrote to the registry (a server running
    its background jobs, for one): then it is rebuilt."""
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT COUNT(*) FROM tags WHERE status = 'active'").fetchone()[0])
    finally:
        con.close()


def prepare(label: str, workdir: Path) -> Registry:
    """The registry of this size under workdir: built, or reused when built by this format from
    the same seed, at the current schema and with its tags untouched; reset to its state after
    building, then checked."""
    n_tags = SIZES[label]
    data_dir = workdir / f"screening-{label}"
    path, meta_path = data_dir / DB_FILE, data_dir / META_FILE
    progress = Progress(label)
    print(f"== {label}: {n_tags:,} tags in {data_dir}", flush=True)
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and path.exists() else None
    if (
        meta is not None
        and meta.get("format") == FORMAT_VERSION
        and _current(path)
        and _active_tags(path) == meta["active_tags"]
    ):
        progress.step(f"reusing the registry built in {meta['build_s']} s")
        registry = Registry(label, data_dir, meta)
        reset(registry)
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        for stale in data_dir.glob(DB_FILE + "*"):
            stale.unlink()
        started = time.perf_counter()
        g = generate(n_tags)
        progress.step(f"generated {g.n_tags:,} tags over {g.n_buyers:,} buyers")
        meta = {
            "format": FORMAT_VERSION,
            "seed": SEED,
            "schema": _head(),
            **_build(path, g, progress),
        }
        del g
        _configure_seller(path, meta, progress)
        meta["base_ids"] = _base_ids(path)
        meta["build_s"] = round(time.perf_counter() - started, 1)
        meta["disk_bytes"] = sum(p.stat().st_size for p in data_dir.glob(DB_FILE + "*"))
        meta_path.write_text(json.dumps(meta, indent=2))
        progress.step(f"built in {meta['build_s']} s, {meta['disk_bytes'] / 2**20:,.0f} MiB")
        registry = Registry(label, data_dir, meta)
    meta["verified"] = verify(path, meta)
    progress.step(f"aggregates match summarise(): {meta['verified']}")
    return registry


def reset(registry: Registry) -> dict[str, int]:
    """Remove what benchmark runs added since the build: screenings, orders, and the buyers (with
    their identifiers) created for unknown identifiers."""
    base = registry.meta["base_ids"]
    con = sqlite3.connect(registry.path, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout=10000")
        con.execute("BEGIN IMMEDIATE")
        removed = {
            "screenings": con.execute(
                "DELETE FROM screenings WHERE id > ?", (base["screenings"],)
            ).rowcount,
            "orders": con.execute("DELETE FROM orders WHERE id > ?", (base["orders"],)).rowcount,
            "identifiers": con.execute(
                "DELETE FROM buyer_identifiers WHERE buyer_id > ?", (base["buyers"],)
            ).rowcount,
            "buyers": con.execute("DELETE FROM buyers WHERE id > ?", (base["buyers"],)).rowcount,
        }
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return removed


def active_tagged_by(registry: Registry, seller_id: int, limit: int) -> list[int]:
    """Buyer indexes (id - 1) with an active tag from this seller."""
    con = sqlite3.connect(registry.path)
    try:
        rows = con.execute(
            "SELECT DISTINCT buyer_id FROM tags WHERE seller_id = ? AND status = 'active' "
            "ORDER BY buyer_id LIMIT ?",
            (seller_id, limit),
        ).fetchall()
    finally:
        con.close()
    return [r[0] - 1 for r in rows]


def resident_share(path: Path) -> float | None:
    """The share of the file in the OS page cache (util-linux `fincore`), None if unknown."""
    if shutil.which("fincore") is None:
        return None
    result = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES,SIZE", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        resident, size = (int(v) for v in result.stdout.split())
    except ValueError:
        return None
    return round(resident / size, 3) if size else None


def warm_page_cache(registry: Registry) -> dict[str, Any]:
    """Read the database file once so that it is in the OS page cache, as on a server that has
    been serving for a while. (This VM reclaims page cache it deems cold, DAMON, so a registry
    built or used a while ago may be mostly on disk.) Returns the resident share before and after
    and the seconds it took."""
    before = resident_share(registry.path)
    started = time.perf_counter()
    with registry.path.open("rb", buffering=0) as f:
        while f.read(16 * 2**20):
            pass
    return {
        "resident_before": before,
        "resident_after": resident_share(registry.path),
        "seconds": round(time.perf_counter() - started, 1),
    }
