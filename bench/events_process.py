"""Event processing rate: the `process-events` job over a full inbox, on SQLite.

Generates a seeded order history: sellers' orders with repeat buyers (email, half with a phone),
each order's life as events (created, paid or payment timeout, delivered or refused, returns,
refunds, chargebacks and disputes, some decided). The events are put in the inbox in the order
they happened, so one order's events fall into different batches, as they do live; then the job
(`services.event_processing.process_events`, what `buyerguard jobs run-once process-events` runs)
is timed until the inbox is empty. Each run uses a fresh, migrated SQLite database in a temporary
directory; the rate is events per second of the job, median of the runs.

    .venv/bin/python bench/events_process.py                      # 100,000 events, 3 runs
    .venv/bin/python bench/events_process.py --events 20000 --runs 1

Writes bench/results/events_process.json and .md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import machine, markdown_table, now_iso, rss_mib, source, write_results

from buyerguard.domain.events import Event
from buyerguard.domain.inbox import IncomingEvent, hash_buyer, without_buyer
from buyerguard.domain.sellers import Role
from buyerguard.services.event_processing import BATCH_SECONDS, BATCH_SIZE, process_events
from buyerguard.services.events import store_incoming
from buyerguard.services.sellers import create_seller
from buyerguard.storage.database import open_database
from buyerguard.storage.schema import upgrade
from buyerguard.storage.unit_of_work import SqlUnitOfWork

NAME = "events_process"
SECRET = b"buyerguard-bench-secret-0123456789abcdef"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SEED = 20261130
TARGET = 5_000  # events per second
ORDERS_PER_BUYER = 3.0


def order_events(rng: random.Random, seller: int, n: int, buyer: dict[str, str]) -> list[Event]:
    """One order's life, as the events a shop and its payment processor would send."""
    ref = f"S{seller}-O{n}"
    start = NOW - timedelta(days=rng.uniform(1, 150))
    out: list[Event] = []

    def add(kind: str, after_days: float, **data: str) -> None:
        out.append(
            Event(f"{ref}-{len(out)}", kind, start + timedelta(days=after_days), ref, data=data)
        )

    out.append(Event(f"{ref}-0", "order.created", start, ref, buyer=buyer))
    if rng.random() < 0.06:
        add("order.payment_timeout", 2)
        return out
    add("order.paid", 0.05)
    if rng.random() < 0.03:
        add("cod.refused", 6)
        return out
    add("order.delivered", rng.uniform(3, 10))
    roll = rng.random()
    if roll < 0.12:
        add("order.returned", 14, reason="did not fit")
        if rng.random() < 0.5:
            add("refund.requested", 15)
    elif roll < 0.15:
        add(
            "chargeback.created",
            20,
            reason=rng.choice(["fraudulent", "product_not_received", "general"]),
        )
        if rng.random() < 0.6:
            add("chargeback.resolved", 45, outcome=rng.choice(["seller_won", "buyer_won"]))
    elif roll < 0.17:
        add("dispute.opened", 12, claim="quality")
        if rng.random() < 0.7:
            add(
                "dispute.resolved",
                30,
                claim="quality",
                outcome=rng.choice(["seller_won", "buyer_won"]),
            )
    return out


def generate(target: int, sellers: int) -> list[tuple[int, Event, dict[str, str]]]:
    """About `target` events, sorted by when they happened: (seller index, event, buyer)."""
    rng = random.Random(SEED)
    buyers = max(1, int(target / 3.3 / ORDERS_PER_BUYER))
    found: list[tuple[int, Event, dict[str, str]]] = []
    n = 0
    while len(found) < target:
        seller = rng.randrange(sellers)
        # Most buyers order a few times; one in a hundred is a regular who orders often.
        regulars = max(1, buyers // 100)
        b = rng.randrange(regulars) if rng.random() < 0.15 else rng.randrange(buyers)
        buyer = {"email": f"buyer{b}@example.com"}
        if b % 2:
            buyer["phone"] = f"+49151{b % 100_000_000:08d}"
        found.extend((seller, e, buyer) for e in order_events(rng, seller, n, buyer))
        n += 1
    found.sort(key=lambda item: (item[1].occurred_at, item[1].event_id))
    return found[:target]


def fill_inbox(url: str, generated: list[tuple[int, Event, dict[str, str]]], sellers: int) -> float:
    """Put the events in the inbox through the service the API uses; returns events per second."""
    database = open_database(url)
    upgrade(database)
    uow = SqlUnitOfWork(database.sessions)
    ids = [
        create_seller(uow, f"Shop {i}", role=Role.SELLER, now=NOW).seller.id for i in range(sellers)
    ]
    incoming = []
    for seller, event, buyer in generated:
        with_buyer = Event(
            event.event_id,
            event.type,
            event.occurred_at,
            event.order_ref,
            buyer=buyer,
            data=event.data,
        )
        incoming.append(
            IncomingEvent(
                ids[seller], without_buyer(event), hash_buyer(with_buyer, SECRET), "bench"
            )
        )
    start = time.perf_counter()
    for i in range(0, len(incoming), 5_000):
        store_incoming(uow, incoming[i : i + 5_000], now=NOW)
    elapsed = time.perf_counter() - start
    database.dispose()
    return len(incoming) / elapsed


def one_run(
    generated: list[tuple[int, Event, dict[str, str]]], sellers: int, batch: int
) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="bg-events-"))
    try:
        url = f"sqlite:///{directory / 'bench.db'}"
        inbox_rate = fill_inbox(url, generated, sellers)
        database = open_database(url)
        uow = SqlUnitOfWork(database.sessions)
        start, cpu_start = time.perf_counter(), time.process_time()
        report = process_events(uow, now=NOW, batch_size=batch, max_batches=10_000)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        with uow:
            left = uow.events.count_pending()
        database.dispose()
        return {
            "seconds": round(elapsed, 3),
            "events_per_second": round(report.events / elapsed),
            # The job is one thread: on a machine shared with other work, its CPU time shows what
            # an otherwise idle machine would give.
            "cpu_seconds": round(cpu, 3),
            "events_per_cpu_second": round(report.events / cpu),
            "bulk_inbox_events_per_second": round(inbox_rate),
            "pending_after": left,
            "report": asdict(report),
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def markdown(payload: dict[str, Any]) -> str:
    runs = payload["runs"]
    rows = [
        [
            i + 1,
            f"{r['events_per_second']:,}",
            f"{r['events_per_cpu_second']:,}",
            r["seconds"],
            r["report"]["batches"],
            r["report"]["orders"],
            r["report"]["tags_created"],
            r["report"]["tags_withdrawn"],
            r["report"]["orders_completed"],
            r["pending_after"],
        ]
        for i, r in enumerate(runs)
    ]
    verdict = "meets" if payload["median_events_per_second"] >= TARGET else "misses"
    return "\n".join(
        [
            "# Event processing rate (`process-events`)",
            "",
            f"Measured {payload['measured_at']} on {payload['machine']['nproc']} CPUs "
            f"({payload['machine']['cpu']}), SQLite {payload['machine']['sqlite']}, load average "
            f"before the runs {payload['load_average_before']}.",
            "",
            f"{payload['events']:,} events of {payload['sellers']} sellers' orders, put in the "
            f"inbox in the order they happened, processed in transactions of about "
            f"{payload['batch_seconds'] * 1000:.0f} ms, at most {payload['batch_size']:,} events "
            f"each.",
            "",
            f"**Median: {payload['median_events_per_second']:,} events/s** ({verdict} the "
            f"target of {TARGET:,}/s); per second of the job's own CPU time: "
            f"{payload['median_events_per_cpu_second']:,}.",
            "",
            markdown_table(
                [
                    "run",
                    "events/s",
                    "events per CPU s",
                    "seconds",
                    "transactions",
                    "order visits",
                    "tags made",
                    "withdrawn",
                    "clean orders",
                    "left",
                ],
                rows,
            ),
            "",
            "Reproduce: `.venv/bin/python bench/events_process.py` (see its docstring).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events (default 100,000)")
    parser.add_argument("--sellers", type=int, default=20, help="sellers (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help="most events a transaction"
    )
    args = parser.parse_args()
    generated = generate(args.events, args.sellers)
    load = os.getloadavg()
    runs = []
    for i in range(args.runs):
        run = one_run(generated, args.sellers, args.batch_size)
        print(
            f"run {i + 1}: {run['events_per_second']:,} events/s in {run['seconds']} s; "
            f"{run['report']}"
        )
        runs.append(run)
    payload = {
        "measured_at": now_iso(),
        "machine": machine(),
        "source": source(),
        "load_average_before": [round(x, 2) for x in load],
        "events": len(generated),
        "sellers": args.sellers,
        "batch_size": args.batch_size,
        "batch_seconds": BATCH_SECONDS,
        "target_events_per_second": TARGET,
        "median_events_per_second": round(statistics.median(r["events_per_second"] for r in runs)),
        "median_events_per_cpu_second": round(
            statistics.median(r["events_per_cpu_second"] for r in runs)
        ),
        "memory": rss_mib(),
        "runs": runs,
    }
    json_path, md_path = write_results(NAME, payload, markdown(payload))
    print(markdown(payload))
    print(f"\nwrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()
