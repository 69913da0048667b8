"""In-process order screening latency on SQLite with 10 thousand, 1 million and 10 million tags.

`services.screening.screen_order` is timed through a fresh `storage.unit_of_work.SqlUnitOfWork` per
screening, exactly as `POST /v1/screenings` calls it: hash the identifiers, resolve the buyer
(creating it when unknown), read its aggregates, score the risk, read the seller's own tags, lists
and policy in force, decide, record the order and log the decision, commit. One transaction each.

The registries come from bench/_screening_setup.py (real migrations, bulk rows, aggregates checked
against `summarise`); the screening seller has a saved five-rule policy and list entries. Orders
are random (amount, currency, prepaid or cash on delivery, country); buyers are random existing
ones, 20 % among those the seller itself tagged, 2 % on its lists, and 5 % unknown (created by the
screening, as in production).

Besides the end-to-end figures, the script reports the same statements through bare sqlite3 (the
database's share), a breakdown of one screening into its parts (timers around the service's calls,
on the largest size), and a pyinstrument profile (bench/results/screening_inprocess_profile.txt).

    .venv/bin/python bench/screening_inprocess.py                   # 10k, 1M and 10M tags
    .venv/bin/python bench/screening_inprocess.py --sizes 10k,1M    # quicker
    .venv/bin/python bench/screening_inprocess.py --data-dir /var/tmp/bg-bench   # keep registries

Writes bench/results/screening_inprocess.json and .md.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import types
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _screening_setup as setup
from _common import machine, markdown_table, now_iso, rss_mib, summary_ms, write_results

from buyerguard.domain.screening import LoggedScreening, Order
from buyerguard.services import screening
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.unit_of_work import SqlUnitOfWork

NAME = "screening_inprocess"
TARGET_MS = 1.0
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "USD", "GBP", "PLN")
COUNTRIES = ("DE", "DE", "FR", "FR", "IT", "ES", "PL", "GB", "US", "NL", "MA", "DZ", "TN", "BD")


# --------------------------------------------------------------------------------------------
# Probes: the orders to screen


@dataclass(frozen=True)
class Probe:
    order: Order
    buyer: dict[str, object]
    kind: str  # known, mine (tagged by the screening seller), listed, unknown
    expected: int | None  # buyer id; None for an unknown buyer (created by the screening)


def random_order(rng: random.Random, ref: str) -> Order:
    amount = round(min(rng.lognormvariate(4.0, 1.1), 9_000.0), 2)
    return Order(
        ref=ref,
        amount=amount,
        currency=rng.choice(CURRENCIES),
        payment_method="cod" if rng.random() < 0.3 else "prepaid",
        country=rng.choice(COUNTRIES),
        region="" if rng.random() < 0.5 else "Region",
        postal_code="" if rng.random() < 0.3 else f"{rng.randrange(10000, 99999)}",
    )


def make_probes(
    registry: setup.Registry, count: int, rng: random.Random, token: str
) -> tuple[list[Probe], list[int]]:
    """The probes, and the time each Order() took to validate (the API builds it per request)."""
    meta = registry.meta
    mine = setup.active_tagged_by(registry, meta["screening_seller"], 20_000)
    listed = [i for entries in meta["listed"].values() for i in entries]
    probes: list[Probe] = []
    validation_ns: list[int] = []
    for k in range(count):
        roll = rng.random()
        if roll < 0.05:
            kind, buyer = "unknown", {"email": f"new.{token}.{k}@shop{k % 13}.example.org"}
            if rng.random() < 0.5:
                buyer["platform_buyer_id"] = f"newshop:{token}-{k}"
            expected = None
        else:
            if roll < 0.25:
                kind, i = "mine", rng.choice(mine)
            elif roll < 0.27:
                kind, i = "listed", rng.choice(listed)
            else:
                kind, i = "known", rng.randrange(meta["buyers"])
            buyer = setup.buyer_identifiers(i, rng.choice(("email", "platform", "both")))
            expected = i + 1
        started = time.perf_counter_ns()
        order = random_order(rng, f"BENCH-{token}-{k}")
        validation_ns.append(time.perf_counter_ns() - started)
        probes.append(Probe(order, buyer, kind, expected))
    return probes, validation_ns


# --------------------------------------------------------------------------------------------
# The same statements through bare sqlite3


RAW_READS = {
    "find_buyers": "SELECT digest, buyer_id FROM buyer_identifiers WHERE digest IN ({marks})",
    "stats": "SELECT * FROM buyer_stats WHERE buyer_id = ?",
    "reason_stats": "SELECT * FROM buyer_reason_stats WHERE buyer_id = ?",
    "my_tags": "SELECT * FROM tags WHERE buyer_id = ? AND seller_id = ? AND status = 'active' "
    "ORDER BY id",
    "lists": "SELECT list_name FROM list_entries WHERE buyer_id = ? AND seller_id = ? "
    "AND (expires_at IS NULL OR expires_at > ?)",
    "policy": "SELECT version, source FROM policies WHERE seller_id = ? "
    "ORDER BY version DESC LIMIT 1",
    "order_exists": "SELECT seller_id, order_ref, buyer_id, completed FROM orders "
    "WHERE seller_id = ? AND order_ref = ?",
}
RAW_ORDER = (
    "INSERT INTO orders (seller_id, buyer_id, order_ref, completed, created_at, completed_at) "
    "VALUES (?, ?, ?, 0, ?, NULL)"
)
RAW_SCREENING = (
    "INSERT INTO screenings (seller_id, buyer_id, order_ref, amount, currency, payment_method, "
    "country, region, postal_code, action, rule_line, rule_source, policy_version, risk_score, "
    "risk_level, facts, reasons, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ship', NULL, NULL, 2, 0.04, 'low', ?, ?, ?)"
)
RAW_FACTS = json.dumps({"risk": 0.04, "level": "low", "sellers": {}, "mine": [], "lists": []})
RAW_REASONS = json.dumps([{"code": "no_rule_matched", "message": "", "evidence": {}}])


def raw_connection(path: Path) -> sqlite3.Connection:
    """A connection set up as storage.database sets up the service's."""
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in (
        "foreign_keys=ON",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=10000",
    ):
        con.execute(f"PRAGMA {pragma}")
    return con


def raw_screening(
    con: sqlite3.Connection, probe: Probe, seller_id: int, digests: list[str]
) -> None:
    """One screening's statements, one committed transaction (known buyers only)."""
    now = setup.NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    o = probe.order
    con.execute("BEGIN")
    sql = RAW_READS["find_buyers"].format(marks=",".join("?" * len(digests)))
    buyer_id = min(r[1] for r in con.execute(sql, digests).fetchall())
    con.execute(RAW_READS["stats"], (buyer_id,)).fetchall()
    con.execute(RAW_READS["reason_stats"], (buyer_id,)).fetchall()
    con.execute(RAW_READS["my_tags"], (buyer_id, seller_id)).fetchall()
    con.execute(RAW_READS["lists"], (buyer_id, seller_id, now)).fetchall()
    con.execute(RAW_READS["policy"], (seller_id,)).fetchall()
    ref = "RAW-" + o.ref
    con.execute(RAW_READS["order_exists"], (seller_id, ref)).fetchall()
    con.execute(RAW_ORDER, (seller_id, buyer_id, ref, now))
    con.execute(
        RAW_SCREENING,
        (
            *(seller_id, buyer_id, ref, o.amount, o.currency, o.payment_method, o.country),
            *(o.region, o.postal_code, RAW_FACTS, RAW_REASONS, now),
        ),
    )
    con.execute("COMMIT")


def query_plans(con: sqlite3.Connection) -> dict[str, list[str]]:
    params = {
        "find_buyers": ("x", "y"),
        "stats": (1,),
        "reason_stats": (1,),
        "my_tags": (1, 1),
        "lists": (1, 1, "2026"),
        "policy": (1,),
        "order_exists": (1, "x"),
    }
    found = {}
    for name, sql in RAW_READS.items():
        text = sql.format(marks="?,?")
        found[name] = [row[3] for row in con.execute(f"EXPLAIN QUERY PLAN {text}", params[name])]
    return found


# --------------------------------------------------------------------------------------------
# One registry under test


def fired(logged: LoggedScreening) -> str:
    if logged.rule_line is not None:
        return f"line {logged.rule_line}"
    if logged.reasons and logged.reasons[0].code == "list":
        return "list override"
    return "no rule (ship)"


class SizeBench:
    def __init__(
        self,
        registry: setup.Registry,
        probes: list[Probe],
        validation: list[int],
        extra: list[Probe],
        raw_probes: list[Probe],
    ) -> None:
        self.registry = registry
        self.raw_probes = raw_probes  # other buyers than the timed screenings: no cache help
        self.extra = extra  # screened after the timing, for the breakdown and the profile
        self.label = registry.label
        self.seller_id = registry.meta["screening_seller"]
        self.probes = probes
        self.validation_ns = validation
        self.database: Database = open_database(registry.url)
        self.raw = raw_connection(registry.path)
        self.next = 0
        self.next_raw = 0
        self.wall: dict[str, list[int]] = defaultdict(list)
        self.cpu: list[int] = []
        self.round_medians: list[float] = []
        self.raw_ns: list[int] = []
        self.decisions: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.policy_errors = 0
        self.page_cache: dict[str, Any] = {}

    def close(self) -> None:
        self.database.dispose()
        self.raw.close()

    def screen(self, probe: Probe) -> screening.Screened:
        return screening.screen_order(
            SqlUnitOfWork(self.database.sessions),
            probe.order,
            probe.buyer,
            seller_id=self.seller_id,
            secret=setup.SECRET,
            now=setup.NOW,
        )

    def check(self, probe: Probe, screened: screening.Screened) -> None:
        logged = screened.screening
        if probe.expected is not None and logged.buyer_id != probe.expected:
            sys.exit(f"screened buyer {logged.buyer_id}, expected {probe.expected}")
        if logged.policy_version != self.registry.meta["policy_version"]:
            sys.exit(f"policy version {logged.policy_version} is not the saved one")
        self.decisions[logged.action.code] += 1
        self.rules[fired(logged)] += 1
        self.policy_errors += bool(screened.errors)

    def warm_up(self, count: int) -> None:
        for probe in self.probes[:count]:
            self.check(probe, self.screen(probe))
        self.decisions.clear()
        self.rules.clear()
        self.next = count
        self.next_raw = count

    def screenings(self, count: int) -> None:
        block: list[int] = []
        for probe in self.probes[self.next : self.next + count]:
            cpu = time.thread_time_ns()
            started = time.perf_counter_ns()
            screened = self.screen(probe)
            elapsed = time.perf_counter_ns() - started
            self.cpu.append(time.thread_time_ns() - cpu)
            self.wall[probe.kind].append(elapsed)
            block.append(elapsed)
            self.check(probe, screened)
        self.next += count
        if block:
            self.round_medians.append(statistics.median(block) / 1e6)

    def raw_screenings(self, count: int) -> None:
        for probe in self.raw_probes[self.next_raw : self.next_raw + count]:
            if probe.expected is None:
                continue
            digests = [
                setup.digest(k, str(v)) for k, v in probe.buyer.items()
            ]  # normalised already
            started = time.perf_counter_ns()
            raw_screening(self.raw, probe, self.seller_id, digests)
            self.raw_ns.append(time.perf_counter_ns() - started)
        self.next_raw += count

    def result(self) -> dict[str, Any]:
        every = [v for values in self.wall.values() for v in values]
        return {
            "label": self.label,
            **{k: v for k, v in self.registry.meta.items() if k not in ("listed",)},
            "screen_order": {
                "all": summary_ms(every),
                **{kind: summary_ms(values) for kind, values in sorted(self.wall.items())},
                "thread_cpu": summary_ms(self.cpu),
                "round_medians": [round(m, 4) for m in self.round_medians],
            },
            "order_validation": summary_ms(self.validation_ns),
            "raw_sql": summary_ms(self.raw_ns),
            "decisions": dict(self.decisions),
            "rules": dict(sorted(self.rules.items())),
            "policy_errors": self.policy_errors,
            "page_cache": self.page_cache,
            "plans": query_plans(self.raw),
        }


# --------------------------------------------------------------------------------------------
# Where the time goes


class Timer:
    def __init__(self) -> None:
        self.ns: dict[str, int] = defaultdict(int)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter_ns()
            try:
                return fn(*args, **kwargs)
            finally:
                self.ns[name] += time.perf_counter_ns() - started
                self.calls[name] += 1

        return timed


# (attribute of the unit of work, method, label); the labels in NESTED run inside another part.
REPOSITORY_PARTS = (
    ("buyers", "find_buyers", "  buyers.find_buyers (SELECT identifiers)"),
    ("buyers", "create", "  buyers.create (INSERT buyer, unknown only)"),
    ("buyers", "link", "  buyers.link (INSERT identifiers, unknown only)"),
    ("stats", "get", "stats.get (SELECT buyer_stats + reason rows)"),
    ("tags", "list_for_buyer_by_seller", "tags.list_for_buyer_by_seller (own tags)"),
    ("lists", "names_for", "lists.names_for (own lists)"),
    ("policies", "latest", "  policies.latest (SELECT policy)"),
    ("orders", "existing", "orders.existing (SELECT order)"),
    ("orders", "add_many", "orders.add_many (INSERT order)"),
    ("screenings", "add", "screenings.add (INSERT screening)"),
    ("subscriptions", "matching", "  subscriptions.matching (SELECT subscriptions)"),
    ("deliveries", "add_many", "  deliveries.add_many (INSERT deliveries, if any)"),
)
SERVICE_PARTS = (
    ("hash_identifiers", "hash_identifiers (normalise + HMAC)"),
    ("resolve_buyer", "resolve_buyer"),
    ("score", "score (risk model)"),
    ("build_facts", "build_facts"),
    ("policy_in_force", "policy_in_force"),
    ("decide", "decide (CEL rules + explanation)"),
    ("facts_to_json", "facts_to_json"),
    ("record_alert", "record_alert (screening.decided subscribers)"),
)


class TimedUnitOfWork(SqlUnitOfWork):
    """SqlUnitOfWork with a timer around its session setup, commit, close and repository calls."""

    def __init__(self, sessions: Any, timer: Timer) -> None:
        super().__init__(sessions)
        self.timer = timer

    def __enter__(self) -> TimedUnitOfWork:
        started = time.perf_counter_ns()
        super().__enter__()
        for attribute, method, label in REPOSITORY_PARTS:
            repository = getattr(self, attribute, None)
            if hasattr(repository, method):  # parts the service of the day does not have: skip
                setattr(repository, method, self.timer.wrap(label, getattr(repository, method)))
        self.timer.ns["unit of work: open session + repositories"] += (
            time.perf_counter_ns() - started
        )
        # What the first statement would do: check a connection out of the pool, begin.
        started = time.perf_counter_ns()
        self.session.connection()
        self.timer.ns["session.connection() (pool checkout, transaction begin)"] += (
            time.perf_counter_ns() - started
        )
        return self

    def commit(self) -> None:
        started = time.perf_counter_ns()
        super().commit()
        self.timer.ns["commit (COMMIT, WAL write)"] += time.perf_counter_ns() - started

    def __exit__(self, *exc: Any) -> None:
        started = time.perf_counter_ns()
        super().__exit__(*exc)
        self.timer.ns["unit of work: rollback + close session"] += time.perf_counter_ns() - started


def breakdown(bench: SizeBench, probes: list[Probe]) -> dict[str, Any]:
    """Mean time per screening of each part, with timers around the service's calls."""
    timer = Timer()
    saved = {
        name: getattr(screening, name) for name, _ in SERVICE_PARTS if hasattr(screening, name)
    }
    saved_json = screening.json
    try:
        for name, label in SERVICE_PARTS:
            if name in saved:
                setattr(screening, name, timer.wrap(label, saved[name]))
        screening.json = types.SimpleNamespace(  # type: ignore[assignment]
            dumps=timer.wrap("json.dumps (facts)", json.dumps), loads=json.loads
        )
        total: list[int] = []
        for probe in probes:
            started = time.perf_counter_ns()
            screening.screen_order(
                TimedUnitOfWork(bench.database.sessions, timer),
                probe.order,
                probe.buyer,
                seller_id=bench.seller_id,
                secret=setup.SECRET,
                now=setup.NOW,
            )
            total.append(time.perf_counter_ns() - started)
    finally:
        for name, fn in saved.items():
            setattr(screening, name, fn)
        screening.json = saved_json
    n = len(probes)
    parts = {label: round(ns / n / 1000, 1) for label, ns in timer.ns.items()}
    top = sum(v for k, v in parts.items() if not k.startswith("  "))
    mean_us = statistics.fmean(total) / 1000
    parts["(rest: session bookkeeping, Screened, dataclasses, timers)"] = round(mean_us - top, 1)
    return {
        "size": bench.label,
        "screenings": n,
        "mean_us": round(mean_us, 1),
        "median_us": round(statistics.median(total) / 1000, 1),
        "parts_mean_us": parts,
    }


def profile(bench: SizeBench, probes: list[Probe], out: Path) -> str | None:
    """A pyinstrument profile of these screenings, written as text; None without pyinstrument."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for probe in probes:
        bench.screen(probe)
    profiler.stop()
    out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    return str(out)


# --------------------------------------------------------------------------------------------
# Report


def report(payload: dict[str, Any]) -> str:
    s = payload["settings"]
    rows = []
    for r in payload["sizes"]:
        so = r["screen_order"]
        rows.append(
            (
                r["label"],
                f"{r['tags']:,}",
                f"{r['buyers']:,}",
                f"{so['all']['median']:.3f}",
                f"{so['all']['p90']:.3f}",
                f"{so['all']['p99']:.3f}",
                f"{so['thread_cpu']['median']:.3f}",
                f"{so['known']['median']:.3f}",
                f"{so['mine']['median']:.3f}",
                f"{so['unknown']['median']:.3f}",
                f"{r['raw_sql']['median']:.3f}",
                f"{r['order_validation']['median']:.3f}",
                f"{r['disk_bytes'] / 2**20:,.0f} MiB",
                _cached(r["page_cache"]),
                f"{r['build_s']:.0f}",
            )
        )
    header = (
        "size",
        "tags",
        "buyers",
        "median ms",
        "p90 ms",
        "p99 ms",
        "CPU median ms",
        "known buyer median",
        "own-tagged buyer median",
        "unknown buyer median",
        "raw SQL median ms",
        "Order() validation ms",
        "DB on disk",
        "in page cache (timing start / end)",
        "build s",
    )
    largest = payload["sizes"][-1]
    verdict = "meets" if largest["screen_order"]["all"]["median"] < TARGET_MS else "MISSES"
    lines = [
        "# In-process screening latency (SQLite)",
        "",
        f"Measured {payload['date']} on {machine_line(payload['machine'])}. "
        f"{s['screenings']:,} timed screenings per size after {s['warmup']} warm-up ones, in "
        f"{s['rounds']} rounds alternating between sizes; the database file read once before "
        "the timing so that it is in the OS page cache (this VM reclaims cold page cache); load "
        "average "
        f"{payload['load_average']['start']} at the start, {payload['load_average']['end']} at the "
        f"end (other benchmarks may share the machine). `bench/screening_inprocess.py` took "
        f"{payload['seconds']:.0f} s (registry builds included)."
        + source_line(payload.get("source", {})),
        "",
        "`services.screening.screen_order` through a fresh `SqlUnitOfWork` per screening, one "
        "committed transaction each (as `POST /v1/screenings`): identifiers hashed, buyer resolved "
        "(created when unknown), aggregates, risk, own tags, lists, policy v"
        f"{largest['policy_version']} (five rules), decision, order recorded, decision logged. "
        "Buyers: 75 % random known ones, 20 % tagged by the screening seller, 2 % on its lists, "
        "5 % unknown. *CPU* is the thread's CPU time. *Raw SQL* is the same statements (reads, two "
        "INSERTs, COMMIT) through bare sqlite3 for known buyers: the database's own share. "
        "*Order() validation* is building the `Order` (ISO currency and country checks), which the "
        "API does before calling the service and is not in the screening time.",
        "",
        markdown_table(header, rows),
        "",
        f"- Target: median under {TARGET_MS:g} ms at {largest['label']} tags: **{verdict}** "
        f"({largest['screen_order']['all']['median']:.3f} ms).",
    ]
    base = payload["sizes"][0]
    for r in payload["sizes"][1:]:
        ratio = r["screen_order"]["all"]["median"] / base["screen_order"]["all"]["median"]
        lines.append(f"- median({r['label']}) / median({base['label']}) = {ratio:.2f}x")
    lines += [
        f"- Decisions at {largest['label']}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(largest["decisions"].items()))
        + "; rule that fired: "
        + ", ".join(f"{k} {v}" for k, v in largest["rules"].items())
        + f"; screenings with a rule evaluation error: {largest['policy_errors']}.",
    ]
    parts = payload.get("breakdown")
    if parts:
        lines += [
            "",
            f"## Where the time goes ({parts['size']}, {parts['screenings']} screenings, timers "
            "around each call)",
            "",
            f"Mean {parts['mean_us']} µs per screening with the timers on (median "
            f"{parts['median_us']} µs). Indented parts run inside the part above them.",
            "",
            markdown_table(
                ("part", "mean µs", "share"),
                [
                    (_part(k), f"{v:.1f}", f"{100 * v / parts['mean_us']:.0f} %")
                    for k, v in parts["parts_mean_us"].items()
                ],
            ),
        ]
        if payload.get("profile"):
            lines += ["", f"pyinstrument profile of the same: `{payload['profile']}`."]
    lines += ["", f"## Query plans ({largest['label']})", ""]
    lines += [f"- {name}: {'; '.join(plan)}" for name, plan in largest["plans"].items()]
    return "\n".join(lines)


def _cached(page_cache: dict[str, Any]) -> str:
    start, end = page_cache.get("resident_after"), page_cache.get("resident_after_timing")
    if start is None or end is None:
        return "?"
    return f"{100 * start:.0f} % / {100 * end:.0f} %"


def _part(label: str) -> str:
    return f"&nbsp;&nbsp;↳ `{label.strip()}`" if label.startswith("  ") else f"`{label}`"


def machine_line(m: dict[str, Any]) -> str:
    return (
        f"{m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}"
    )


def source_line(found: dict[str, Any]) -> str:
    if not found.get("repo_commit"):
        return ""
    return (
        f" buyerguard from this repository at commit {found['repo_commit'][:10]} with "
        f"{found.get('repo_src_changes', '?')} uncommitted changes under src/."
    )


def source() -> dict[str, Any]:
    """Which buyerguard was measured (bench/_common.py's `source`, when it has one)."""
    import _common

    found = getattr(_common, "source", None)
    return found() if callable(found) else {}


def load_average() -> str:
    """The load average, and the share of time runnable tasks waited for a CPU over the last
    minute (Linux PSI): other processes on the machine inflate wall-clock figures."""
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
    try:
        some = Path("/proc/pressure/cpu").read_text().split("\n")[0]
        avg60 = dict(part.split("=") for part in some.split()[1:])["avg60"]
    except (OSError, KeyError, ValueError):
        return load
    return f"{load} (CPU pressure {float(avg60):.0f} %)"


def parse_sizes(text: str) -> list[str]:
    sizes = [part.strip() for part in text.split(",")]
    for size in sizes:
        if size not in setup.SIZES:
            raise argparse.ArgumentTypeError(f"unknown size {size!r}; from {list(setup.SIZES)}")
    return sizes


def measure(registries: list[setup.Registry], args: argparse.Namespace) -> dict[str, Any]:
    token = f"{int(time.time())}"
    benches = []
    for registry in registries:
        rng = random.Random(setup.SEED)
        count = args.warmup + args.screenings
        probes, validation = make_probes(registry, count + args.profile_screenings, rng, token)
        raw, _ = make_probes(registry, count, random.Random(setup.SEED + 1), token + "r")
        benches.append(SizeBench(registry, probes[:count], validation[:count], probes[count:], raw))
    found: dict[str, Any] = {}
    try:
        for bench in benches:
            bench.warm_up(args.warmup)
        for bench in benches:
            bench.page_cache = setup.warm_page_cache(bench.registry)
            print(f"  {bench.label}: page cache {bench.page_cache}", flush=True)
        time_rounds(benches, args.screenings, args.rounds)
        for bench in benches:
            bench.page_cache["resident_after_timing"] = setup.resident_share(bench.registry.path)
        found["sizes"] = [bench.result() for bench in benches]
        for r in found["sizes"]:
            so = r["screen_order"]["all"]
            print(
                f"  {r['label']}: median {so['median']:.3f} ms, p90 {so['p90']:.3f}, "
                f"p99 {so['p99']:.3f}; raw SQL median {r['raw_sql']['median']:.3f} ms"
            )
        if benches[-1].extra:
            found |= analyse(benches[-1])
    finally:
        for bench in benches:
            bench.close()
            setup.reset(bench.registry)
    return found


def time_rounds(benches: list[SizeBench], screenings: int, rounds: int) -> None:
    """Blocks of each size in turn, the starting size rotating, so that load from other processes
    falls on every size alike; the raw SQL after the service in each round."""
    block = -(-screenings // rounds)
    print(f"== timing {screenings:,} screenings per size in {rounds} rounds")
    for r in range(rounds):
        order = benches[r % len(benches) :] + benches[: r % len(benches)]
        for bench in order:
            bench.screenings(block)
        for bench in order:
            bench.raw_screenings(block)


def analyse(largest: SizeBench) -> dict[str, Any]:
    """On the largest size, on fresh probes: the breakdown by part, and a profile."""
    found: dict[str, Any] = {}
    half = len(largest.extra) // 2
    found["breakdown"] = breakdown(largest, largest.extra[:half])
    print(f"  breakdown ({largest.label}): {found['breakdown']['parts_mean_us']}")
    out = setup_results_dir() / f"{NAME}_profile.txt"
    shown = profile(largest, largest.extra[half:], out)
    if shown:
        found["profile"] = str(Path(shown).relative_to(Path.cwd()))
    return found


def setup_results_dir() -> Path:
    path = Path(__file__).resolve().parent / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("10k,1M,10M"))
    parser.add_argument("--screenings", type=int, default=2000, help="timed per size")
    parser.add_argument("--warmup", type=int, default=300, help="untimed per size first")
    parser.add_argument("--rounds", type=int, default=20, help="rounds alternating the sizes")
    parser.add_argument(
        "--profile-screenings",
        type=int,
        default=1000,
        help="screenings on the largest size for the breakdown and the profile (0: none)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the registries here and reuse them (default: a temporary directory)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    load_start = load_average()
    temporary = args.data_dir is None
    workdir = Path(tempfile.mkdtemp(prefix="bg-screening-")) if temporary else args.data_dir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        registries = [setup.prepare(label, workdir) for label in args.sizes]
        found = measure(registries, args)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)
    payload = {
        "benchmark": NAME,
        "date": now_iso(),
        "machine": machine(),
        "source": source(),
        "settings": {
            "screenings": args.screenings,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "profile_screenings": args.profile_screenings,
            "seed": setup.SEED,
            "now": setup.NOW.isoformat(),
            "policy": setup.POLICY,
            "lists": setup.LISTS,
        },
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": {"start": load_start, "end": load_average()},
        "memory": rss_mib(),
        "target": f"median at the largest size < {TARGET_MS} ms",
        **found,
    }
    markdown = report(payload)
    json_path, md_path = write_results(NAME, payload, markdown)
    print()
    print(markdown)
    print(f"\nwrote {json_path} and {md_path} ({payload['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
