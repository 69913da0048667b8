"""Bulk import rate into SQLite through the real path, `services.imports.import_lines`.

That is what `buyerguard import FILE` and `POST /v1/imports` run. An admin importer names many
sellers line by line; every buyer has a platform id and an email (or, in the phone variant, a
platform id and a phone number, which `phonenumbers` parses); buyers recur across lines. Each run
imports the same file into a fresh, migrated SQLite database; the rate is tags per second of the
`import_lines` call, median of the runs. A profiled run shows where the time goes.

    .venv/bin/python bench/import_rate.py                   # 200,000 lines, 3 runs per variant
    .venv/bin/python bench/import_rate.py --lines 50000 --runs 1 --no-profile

Writes bench/results/import_rate.json and .md (and import_rate_pyinstrument.txt if pyinstrument is
installed).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
from _common import RESULTS, machine, markdown_table, now_iso, rss_mib, source, write_results

from buyerguard.domain import buyers as domain_buyers
from buyerguard.domain import identifiers, profiles
from buyerguard.domain.imports import RecordParser
from buyerguard.domain.sellers import Role
from buyerguard.services import buyers as service_buyers
from buyerguard.services import imports as service_imports
from buyerguard.services import orders as service_orders
from buyerguard.services.imports import parsing, storing
from buyerguard.services.sellers import create_seller
from buyerguard.storage import buyers as storage_buyers
from buyerguard.storage import repositories, unit_of_work
from buyerguard.storage.bulk import sqlite_utc
from buyerguard.storage.database import BULK_CACHE_KIB, open_database
from buyerguard.storage.schema import upgrade
from buyerguard.storage.unit_of_work import SqlUnitOfWork

NAME = "import_rate"
SECRET = b"buyerguard-bench-secret-0123456789abcdef"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SEED = 20261130
TARGET = 50_000  # tags per second
VARIANTS = ("email", "phone")

LINES_PER_BUYER = 2.5
PLATFORMS = ("AliExpress", "eBay", "Etsy", "Shopify", "Amazon", "Allegro")
REASONS = {
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
NOTES = (
    "",
    "",
    "",
    "asked for a refund after the parcel was signed for",
    "opened a dispute, then went silent",
    "threatened a 1-star review unless refunded",
    "chargeback after delivery",
    "refused the parcel at the door",
)


# --------------------------------------------------------------------------------------------
# The import file


def phone(i: int) -> str:
    """A possible mobile number, unique per buyer, typed the way buyers type them."""
    n = i // 5
    country = i % 5
    if country == 0:
        return f"+49 151 {n:08d}"
    if country == 1:
        digits = f"{2_000_000 + n:07d}"
        return f"+1 (415) {digits[:3]}-{digits[3:]}"
    if country == 2:
        return f"+44 7700 {n:06d}"
    if country == 3:
        d = f"{n:08d}"
        return f"+33 6 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}"
    d = f"{n:08d}"
    return f"+55 11 9{d[:4]}-{d[4:]}"


def buyer_identifiers(i: int, variant: str) -> dict[str, str]:
    found = {"platform_buyer_id": f"{PLATFORMS[i % len(PLATFORMS)]}:B{i:08d}"}
    if variant == "phone":
        found["phone"] = phone(i)
    else:
        found["email"] = f"Buyer.{i}@Mail{i % 97}.example.com"
    return found


def make_lines(n_lines: int, n_sellers: int, variant: str) -> list[str]:
    """Tag lines over buyers that recur (2.5 lines per buyer on average) and sellers of very
    different sizes; every (seller, buyer, reason) once, so every line is a new tag."""
    rng = random.Random(SEED)
    n_buyers = max(1, round(n_lines / LINES_PER_BUYER))
    buyers_of_lines: list[int] = []
    for i in range(n_buyers):
        repeats = 1
        while rng.random() > 1 / LINES_PER_BUYER:
            repeats += 1
        buyers_of_lines += [i] * repeats
    while len(buyers_of_lines) < n_lines:
        buyers_of_lines.append(rng.randrange(n_buyers))
    buyers_of_lines = buyers_of_lines[:n_lines]
    rng.shuffle(buyers_of_lines)

    seller_weights = [1 / (rank + 10) ** 0.9 for rank in range(n_sellers)]
    codes, reason_weights = list(REASONS), list(REASONS.values())
    used: set[tuple[int, int, str]] = set()
    lines = []
    for number, i in enumerate(buyers_of_lines):
        while True:
            seller = rng.choices(range(n_sellers), seller_weights)[0]
            reason = rng.choices(codes, reason_weights)[0]
            if (seller, i, reason) not in used:
                used.add((seller, i, reason))
                break
        at = NOW - timedelta(seconds=rng.randrange(3600, 500 * 86_400))
        record: dict[str, object] = {
            "type": "tag",
            "seller": f"Shop {seller:04d}",
            "buyer": buyer_identifiers(i, variant),
            "reason": reason,
            "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        note = rng.choice(NOTES)
        if note:
            record["note"] = note
        if rng.random() < 0.4:
            record["order_ref"] = f"SO-{number:07d}"
        lines.append(json.dumps(record, separators=(",", ":")))
    if variant == "phone":
        _check_phones(n_buyers)
    return lines


def _check_phones(n_buyers: int) -> None:
    """Every generated number parses, and no two buyers share one (they would be merged)."""
    seen = set()
    for i in range(n_buyers):
        number = phonenumbers.parse(phone(i))
        if not phonenumbers.is_possible_number(number):
            sys.exit(f"bench bug: {phone(i)!r} is not a possible number")
        seen.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if len(seen) != n_buyers:
        sys.exit("bench bug: generated phone numbers collide")


# --------------------------------------------------------------------------------------------
# Runs


def fresh_database(workdir: Path, name: str) -> tuple[Any, Any]:
    path = workdir / f"{name}.db"
    for stale in workdir.glob(f"{name}.db*"):
        stale.unlink()
    database = open_database(f"sqlite:///{path}")
    upgrade(database)
    importer = create_seller(
        SqlUnitOfWork(database.sessions), "bench importer", role=Role.ADMIN, now=NOW
    ).seller
    return database, importer


def import_file(
    workdir: Path,
    source: Path,
    expected: int,
    wrap: Callable[[Callable[[], Any]], Any] | None,
    watch: Callable[[Iterable[str]], Iterator[str]] | None = None,
    *,
    floor: bool = False,
) -> dict[str, Any]:
    """Import `source` into a fresh database as `buyerguard import` does; time import_lines.
    `watch` sees the lines as import_lines reads them (the profiled runs start there)."""
    database, importer = fresh_database(workdir, "import")
    try:
        gc.collect()
        with source.open(encoding="utf-8") as file:
            lines = file if watch is None else watch(file)

            def call() -> Any:
                return service_imports.import_lines(
                    SqlUnitOfWork(database.sessions),
                    lines,
                    importer=importer,
                    secret=SECRET,
                    now=NOW,
                )

            started = time.perf_counter()
            result = call() if wrap is None else wrap(call)
            elapsed = time.perf_counter() - started
    finally:
        database.dispose()
    floor_figures = storage_floor(workdir, workdir / "import.db") if floor else None
    db_bytes = sum(p.stat().st_size for p in workdir.glob("import.db*"))
    for done in workdir.glob("import.db*"):
        done.unlink()
    if result.tags != expected or result.duplicates:
        sys.exit(f"import stored {result.tags} tags, {result.duplicates} duplicates; {expected=}")
    return {
        "seconds": round(elapsed, 3),
        "tags": result.tags,
        "tags_per_second": round(result.tags / elapsed),
        "db_bytes": db_bytes,
        **({"storage_floor": floor_figures} if floor_figures else {}),
    }


FLOOR_TABLES = (
    "sellers",
    "buyers",
    "buyer_identifiers",
    "tags",
    "buyer_stats",
    "buyer_reason_stats",
)


def storage_floor(workdir: Path, imported: Path) -> dict[str, Any]:
    """SQLite's own share: the rows the import stored, read back as tuples and inserted again by
    executemany into a fresh migrated database in one transaction, with the import's settings
    (WAL, synchronous=NORMAL, foreign keys, the bulk page cache). No Python work per row but the
    driver's: no import of this schema through the sqlite3 module can be faster."""
    source = sqlite3.connect(imported)
    rows = {name: source.execute(f"SELECT * FROM {name}").fetchall() for name in FLOOR_TABLES}
    source.close()
    fresh_database(workdir, "floor")[0].dispose()
    target = sqlite3.connect(workdir / "floor.db", isolation_level=None)
    for pragma in ("foreign_keys=ON", "synchronous=NORMAL", f"cache_size=-{BULK_CACHE_KIB}"):
        target.execute(f"PRAGMA {pragma}")
    target.execute("DELETE FROM api_keys")
    target.execute("DELETE FROM sellers")
    gc.collect()
    started = time.perf_counter()
    target.execute("BEGIN")
    for name in FLOOR_TABLES:
        marks = ",".join("?" * len(rows[name][0]))
        target.executemany(f"INSERT INTO {name} VALUES ({marks})", rows[name])
    target.execute("COMMIT")
    elapsed = time.perf_counter() - started
    target.close()
    for done in workdir.glob("floor.db*"):
        done.unlink()
    tags = len(rows["tags"])
    return {
        "seconds": round(elapsed, 3),
        "tags_per_second": round(tags / elapsed),
        "rows": {name: len(found) for name, found in rows.items()},
        "rows_per_tag": round(sum(map(len, rows.values())) / tags, 2),
    }


def parse_ceiling(source: Path, importer: Any) -> dict[str, Any]:
    """The parse step alone (`parse_chunk`: JSON, validation, normalising and hashing identifiers,
    each buyer's once as in an import, and formatting tags' times as SQLite stores them), in one
    process, no database. An import parses ahead in a
    second process while it stores, so this bounds it only on a single core."""
    with source.open(encoding="utf-8") as lines:
        numbered = list(enumerate(lines, start=1))
    parser = RecordParser(
        importer=importer.name, may_name_sellers=importer.is_admin, secret=SECRET, now=NOW
    )
    gc.collect()
    started = time.perf_counter()
    records, errors, _ = parsing.parse_chunk(parser, numbered, sqlite_utc)
    elapsed = time.perf_counter() - started
    if errors:
        sys.exit(f"bench bug: parse errors {errors[:3]}")
    return {
        "seconds": round(elapsed, 3),
        "lines_per_second": round(len(records) / elapsed),
        "us_per_line": round(elapsed / len(records) * 1e6, 1),
    }


def stage_functions() -> list[tuple[int, str, Callable[..., Any]]]:
    """The steps of import_lines whose cumulative time the profile reports: (depth, name, code).
    Only this process is profiled: chunks parsed by the worker process show as waits for it."""
    tags_repo = repositories.SqlTagRepository
    orders_repo = repositories.SqlOrderRepository
    buyers_repo = storage_buyers.SqlBuyerRepository
    stats_repo = repositories.SqlStatsRepository
    store = storing.ImportStore
    return [
        (0, "parsed_chunks: parsing here, or waiting for the worker", parsing.parsed_chunks),
        (1, "parse_chunk (the first chunk)", parsing.parse_chunk),
        (2, "hash_identifiers", identifiers.hash_identifiers),
        (3, "normalise_phone", identifiers.normalise_phone),
        (0, "ImportStore.store", store.store),
        (1, "_seller_ids: find or create named sellers", store._seller_ids),
        (1, "_buyer_ids", store._buyer_ids),
        (2, "buyers.find_buyers", buyers_repo.find_buyers),
        (2, "link_buyers", service_buyers.link_buyers),
        (3, "group_identifiers", domain_buyers.group_identifiers),
        (3, "buyers.create", buyers_repo.create),
        (3, "buyers.link", buyers_repo.link),
        (1, "store_completed_orders", service_orders.store_completed_orders),
        (1, "_store_tags", store._store_tags),
        (2, "tags.active_keys", tags_repo.active_keys),
        (2, "orders.existing", orders_repo.existing),
        (2, "tags.add_many", tags_repo.add_many),
        (2, "refresh_stats (buyers the import did not create)", service_buyers.refresh_stats),
        (0, "ImportStore.finish: aggregates of the new buyers", store.finish),
        (1, "summarise", profiles.summarise),
        (1, "stats.add", stats_repo.add),
        (0, "commit", unit_of_work.SqlUnitOfWork.commit),
    ]


def head_of(source: Path, lines: int, workdir: Path) -> tuple[Path, int]:
    """The first `lines` lines of `source`, as a file of their own, and their count."""
    with source.open(encoding="utf-8") as whole:
        head = [line for _, line in zip(range(lines), whole, strict=False)]
    path = workdir / f"head-{source.name}"
    path.write_text("".join(head), encoding="utf-8")
    return path, len(head)


def profile_run(workdir: Path, source: Path, expected: int, start: int) -> dict[str, Any]:
    """Import `source`, profiling (cProfile) the importing process from line `start` on (it reads
    up to two chunks ahead of the one it stores; the worker process that parses them is not
    profiled). Reports the cumulative time of each step, and the top functions by own time."""
    profiler = cProfile.Profile()
    began = [0.0]

    def watch(lines: Iterable[str]) -> Iterator[str]:
        for number, line in enumerate(lines, start=1):
            if number == start:
                began[0] = time.perf_counter()
                profiler.enable()
            yield line

    def wrapped(call: Callable[[], Any]) -> Any:
        try:
            return call()
        finally:
            profiler.disable()

    import_file(workdir, source, expected, wrapped, watch)
    profiled_s = time.perf_counter() - began[0]
    stats = pstats.Stats(profiler)
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats
    stages = []
    total = profiled_s
    for depth, label, function in stage_functions():
        code = function.__code__
        entry = table.get((code.co_filename, code.co_firstlineno, code.co_name))
        if entry is None:
            continue
        _, calls, _, cumulative, _ = entry
        stages.append(
            {
                "stage": label,
                "depth": depth,
                "calls": calls,
                "cumulative_s": round(cumulative, 3),
                "share": round(cumulative / total, 3),
            }
        )
    top = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:25]
    return {
        "from_line": start,
        "profiled_seconds": round(profiled_s, 3),
        "stages": stages,
        "top_tottime": [
            {
                "function": _where(key),
                "calls": entry[1],
                "tottime_s": round(entry[2], 3),
                "cumtime_s": round(entry[3], 3),
            }
            for key, entry in top
        ],
    }


def _where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    for marker in ("/site-packages/", "/src/", "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({name})"


def pyinstrument_run(workdir: Path, source: Path, expected: int, start: int) -> str | None:
    """pyinstrument's call tree of the same part of the import as profile_run, if installed."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    profiler = Profiler(interval=0.001)

    def watch(lines: Iterable[str]) -> Iterator[str]:
        for number, line in enumerate(lines, start=1):
            if number == start:
                profiler.start()
            yield line

    def wrapped(call: Callable[[], Any]) -> Any:
        try:
            return call()
        finally:
            profiler.stop()

    import_file(workdir, source, expected, wrapped, watch)
    text: str = profiler.output_text(unicode=False, color=False, show_all=False)
    return text


# --------------------------------------------------------------------------------------------
# Report


def report(payload: dict[str, Any]) -> str:
    settings = payload["settings"]
    m = payload["machine"]
    rows = []
    for variant, v in payload["variants"].items():
        rates = ", ".join(f"{r['tags_per_second']:,}" for r in v["runs"])
        rows.append(
            (
                variant,
                f"{v['tags']:,}",
                f"**{v['median_tags_per_second']:,}**",
                rates,
                f"{v['median_seconds']:.1f}",
                f"{v['median_tags_per_second'] / TARGET:.2f}",
                f"{v['parse_only_best_of_3']['lines_per_second']:,}",
                _floor_cell(v.get("storage_floor")),
            )
        )
    lines = [
        "# Import rate (SQLite)",
        "",
        f"Measured {payload['date']} on {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}, "
        f"phonenumbers {m['phonenumbers']}. {settings['lines']:,} tag lines, "
        f"{settings['sellers']:,} sellers named by an admin importer, "
        f"~{settings['lines_per_buyer']} lines per buyer; {settings['runs']} runs per variant on "
        f"fresh databases, variants alternating; load average {payload['load_average']['start']}"
        f" at the start, {payload['load_average']['end']} at the end. "
        f"`bench/import_rate.py` took {payload['seconds']:.0f} s.",
        "",
        "`services.imports.import_lines` over the file, as `buyerguard import` and "
        "`POST /v1/imports` run it. *email*: each buyer has a platform id and an email; "
        "*phone*: a platform id and a phone number (parsed by phonenumbers). *Parse step "
        "alone*: `services.imports.parsing.parse_chunk` over the same lines in one process "
        "without a database (JSON, validation, normalising and hashing the identifiers, once "
        "per buyer, formatting the tags' times as SQLite stores them), best of 3. An import "
        "of more than one chunk parses in a second process while it stores the chunk before, "
        "so this bounds it only when one core is free. *SQLite alone*: the rows the first run "
        "stored (tags, buyers, identifiers, aggregates), read back as tuples and inserted again "
        "by `executemany` into a fresh migrated database in one transaction with the import's "
        "settings: the driver's and the database's own work, no Python per row; no import of "
        "this schema through Python's sqlite3 module can run faster.",
        "",
        markdown_table(
            (
                "variant",
                "tags",
                "median tags/s",
                "runs (tags/s)",
                "median s",
                f"share of the {TARGET:,}/s target",
                "parse step alone, lines/s",
                "SQLite alone: tags/s (rows a tag)",
            ),
            rows,
        ),
    ]
    for variant, v in payload["variants"].items():
        profile = v.get("profile")
        if not profile:
            continue
        lines += [
            "",
            f"## Where the time goes: {variant} (cProfile, one run)",
            "",
            f"An import of {profile['lines']:,} lines, profiled from line "
            f"{profile['from_line']:,} on in the importing process (the worker process that "
            f"parses the chunks is not profiled), which took {profile['profiled_seconds']:.1f} s "
            "under cProfile (cProfile slows Python-heavy code most). Cumulative time per step, "
            "nested: a step includes the indented steps below it.",
            "",
            markdown_table(
                ("step", "calls", "cumulative s", "share"),
                [
                    (
                        "· " * s["depth"] + s["stage"],
                        f"{s['calls']:,}",
                        f"{s['cumulative_s']:.2f}",
                        f"{s['share']:.0%}",
                    )
                    for s in profile["stages"]
                ],
            ),
            "",
            "Top functions by own time:",
            "",
            markdown_table(
                ("function", "calls", "own s", "cumulative s"),
                [
                    (
                        f"`{t['function']}`",
                        f"{t['calls']:,}",
                        f"{t['tottime_s']:.2f}",
                        f"{t['cumtime_s']:.2f}",
                    )
                    for t in profile["top_tottime"][:15]
                ],
            ),
        ]
    if payload.get("pyinstrument"):
        lines += ["", f"pyinstrument's call tree: `bench/results/{payload['pyinstrument']}`."]
    return "\n".join(lines)


def _floor_cell(floor: dict[str, Any] | None) -> str:
    if not floor:
        return "-"
    return f"{floor['tags_per_second']:,} ({floor['rows_per_tag']})"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000, help="tag lines (default 200,000)")
    parser.add_argument("--sellers", type=int, default=1_000, help="sellers named (default 1,000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per variant (default 3)")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help="comma-separated: email, phone"
    )
    parser.add_argument(
        "--profile-lines",
        type=int,
        default=3 * service_imports.CHUNK_LINES,
        help="lines imported by the profiled runs, profiled whole (default: "
        f"{3 * service_imports.CHUNK_LINES:,})",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled runs")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not set(variants) <= set(VARIANTS):
        parser.error(f"variants: choose from {', '.join(VARIANTS)}")

    started = time.perf_counter()
    load_start = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="buyerguard-import-bench-"))
    try:
        sources = {}
        for variant in variants:
            sources[variant] = workdir / f"{variant}.jsonl"
            text = make_lines(args.lines, args.sellers, variant)
            sources[variant].write_text("\n".join(text) + "\n", encoding="utf-8")
            size = sources[variant].stat().st_size
            print(f"generated {args.lines:,} {variant} lines ({size / 1e6:.1f} MB)", flush=True)

        runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
        for n in range(args.runs):
            for variant in variants:
                run = import_file(workdir, sources[variant], args.lines, None, floor=n == 0)
                runs[variant].append(run)
                print(
                    f"run {n + 1}/{args.runs} {variant}: {run['tags']:,} tags in "
                    f"{run['seconds']:.2f} s = {run['tags_per_second']:,} tags/s",
                    flush=True,
                )
        database, importer = fresh_database(workdir, "parse")
        database.dispose()
        results: dict[str, Any] = {}
        for variant in variants:
            seconds = statistics.median(r["seconds"] for r in runs[variant])
            parses = [parse_ceiling(sources[variant], importer) for _ in range(3)]
            parse = min(parses, key=lambda p: p["seconds"])
            print(f"parse only, {variant}: {parse['lines_per_second']:,} lines/s", flush=True)
            results[variant] = {
                "tags": args.lines,
                "runs": runs[variant],
                "median_seconds": round(seconds, 3),
                "median_tags_per_second": round(args.lines / seconds),
                "parse_only_best_of_3": parse,
                "storage_floor": runs[variant][0].get("storage_floor"),
            }
        pyinstrument_file = None
        if not args.no_profile:
            for variant in variants:
                head, count = head_of(sources[variant], args.profile_lines, workdir)
                start = 1
                print(
                    f"profiling lines {start:,} to {count:,} of a {variant} import (cProfile)",
                    flush=True,
                )
                results[variant]["profile"] = profile_run(workdir, head, count, start)
                results[variant]["profile"]["lines"] = count
            print(f"the same for {variants[0]} with pyinstrument, if installed", flush=True)
            tree = pyinstrument_run(
                workdir, head_of(sources[variants[0]], args.profile_lines, workdir)[0], count, start
            )
            if tree is not None:
                pyinstrument_file = f"{NAME}_pyinstrument.txt"
                RESULTS.mkdir(parents=True, exist_ok=True)
                (RESULTS / pyinstrument_file).write_text(tree)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    payload = {
        "benchmark": NAME,
        "date": now_iso(),
        "machine": machine(),
        "source": source(),
        "settings": {
            "lines": args.lines,
            "sellers": args.sellers,
            "lines_per_buyer": LINES_PER_BUYER,
            "runs": args.runs,
            "seed": SEED,
            "chunk_lines": service_imports.CHUNK_LINES,
        },
        "target_tags_per_second": TARGET,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": {"start": load_start, "end": load_average()},
        "memory": rss_mib(),
        "variants": results,
        "pyinstrument": pyinstrument_file,
    }
    markdown = report(payload)
    json_path, md_path = write_results(NAME, payload, markdown)
    print()
    print(markdown)
    print(f"\nwrote {json_path} and {md_path} ({payload['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
