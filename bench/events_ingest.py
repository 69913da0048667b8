"""Event ingestion over HTTP: `POST /v1/events` into the inbox, on SQLite, on this machine.

The real server runs in a subprocess on 127.0.0.1 with a fresh SQLite data directory, in two
set-ups: `serve` (`buyerguard serve`, one uvicorn process, as shipped) and `workers2` (`buyerguard
serve --workers 2 --no-jobs`, one process per core). The load
generator is `wrk` (C, closed loop; `apt-get install -y wrk`) on the same machine, over loopback,
with a Lua script that POSTs events with unique ids and a buyer email each, one event per request
or a JSON array of `--batch` events. Each phase runs for a fixed time after a warm-up, so its
count is bounded.

Every phase is checked: the inbox must then hold exactly as many events as were acknowledged
(202 x events per request), and no request may fail. A last phase sends events one by one with a
plain client, kills the server with SIGKILL half-way, and checks that every acknowledged event is
in the inbox.

    .venv/bin/python bench/events_ingest.py
    .venv/bin/python bench/events_ingest.py --modes serve --duration 5

Writes bench/results/events_ingest.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import machine, markdown_table, now_iso, source, write_results
from _events_load import LUA, VENV_BIN, Server, environment, inbox_count, prepare, wrk
from events_process import fill_inbox, generate

NAME = "events_ingest"
TARGET = 2_000  # events per second


def phase(
    server: Server,
    data_dir: Path,
    key: str,
    *,
    name: str,
    batch: int,
    connections: int,
    duration: float,
    work: Path,
) -> dict[str, Any]:
    script = work / f"{name}.lua"
    script.write_text(LUA % {"key": key, "phase": name, "batch": batch})
    before = inbox_count(data_dir)
    result = wrk(server, script, connections=connections, duration=duration)
    stored = inbox_count(data_dir) - before
    seconds = result["duration_us"] / 1e6
    acknowledged = (result["requests"] - result["non_2xx"]) * batch
    return {
        "phase": name,
        "events_per_request": batch,
        "connections": connections,
        "seconds": round(seconds, 2),
        "requests_per_second": round(result["requests"] / seconds),
        "events_per_second": round(stored / seconds),
        "stored": stored,
        "acknowledged": acknowledged,
        # wrk stops counting at its deadline, while requests already sent are still stored:
        # `stored` may exceed `acknowledged`, never the other way round.
        "lost": max(0, acknowledged - stored),
        "failed_requests": result["non_2xx"] + result["socket_errors"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "max_ms": result["max_ms"],
        "server_cpu_seconds": result["server_cpu_seconds"],
    }


def kill_check(mode: str, data_dir: Path, key: str, *, events: int) -> dict[str, Any]:
    """Acknowledged events survive SIGKILL of the server: sent one by one, killed half-way."""
    server = Server(mode, data_dir)
    acknowledged: list[str] = []
    try:
        for n in range(events):
            body = {
                "event_id": f"kill-{n}",
                "type": "order.paid",
                "occurred_at": "2026-11-30T12:00:00Z",
                "order_ref": f"K-{n}",
            }
            request = urllib.request.Request(
                server.url + "/v1/events",
                data=json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status == 202:
                    acknowledged.append(body["event_id"])
            if n == events // 2:
                server.kill()
                break
    finally:
        server.stop()
    with sqlite3.connect(data_dir / "buyerguard.db") as connection:
        kept = {
            r[0]
            for r in connection.execute("SELECT event_id FROM events WHERE event_id LIKE 'kill-%'")
        }
    return {
        "acknowledged_before_kill": len(acknowledged),
        "missing_after_restart": len(set(acknowledged) - kept),
    }


def run_mode(mode: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir = work / f"data-{mode}"
    key = prepare(data_dir)
    server = Server(mode, data_dir)
    phases = []
    try:
        warm = work / "warm.lua"
        warm.write_text(LUA % {"key": key, "phase": f"warm-{mode}", "batch": 1})
        wrk(server, warm, connections=8, duration=args.warmup)
        for connections in args.connections:
            for repeat in range(args.repeats):
                name = f"{mode}-single-c{connections}-{repeat}"
                phases.append(
                    phase(
                        server,
                        data_dir,
                        key,
                        name=name,
                        batch=1,
                        connections=connections,
                        duration=args.duration,
                        work=work,
                    )
                )
                print(json.dumps(phases[-1]))
        name = f"{mode}-batch{args.batch}"
        phases.append(
            phase(
                server,
                data_dir,
                key,
                name=name,
                batch=args.batch,
                connections=8,
                duration=args.duration,
                work=work,
            )
        )
        print(json.dumps(phases[-1]))
        during = while_processing(server, data_dir, key, args, work) if args.backlog else None
    finally:
        server.stop()
    return {
        "mode": mode,
        "phases": phases,
        "while_processing": during,
        "kill_check": kill_check(mode, data_dir, key, events=200),
    }


def while_processing(
    server: Server, data_dir: Path, key: str, args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    """Single events posted while `process-events` works through a backlog in the same SQLite
    database: each of its batches holds the one write lock (about 50 ms), so requests wait; none
    may fail."""
    fill_inbox(f"sqlite:///{data_dir / 'buyerguard.db'}", generate(args.backlog, 20), 20)
    started = time.perf_counter()
    job = subprocess.Popen(
        [str(VENV_BIN / "buyerguard"), "jobs", "run-once", "process-events"],
        env=environment(data_dir),
        stdout=subprocess.DEVNULL,
    )
    result = phase(
        server,
        data_dir,
        key,
        name=f"{server.mode}-during-processing",
        batch=1,
        connections=8,
        duration=args.duration,
        work=work,
    )
    job.wait()
    result["backlog"] = args.backlog
    result["job_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    return result


def markdown(payload: dict[str, Any]) -> str:
    rows = []
    for mode in payload["modes"]:
        for p in mode["phases"]:
            rows.append(
                [
                    mode["mode"],
                    p["events_per_request"],
                    p["connections"],
                    f"{p['events_per_second']:,}",
                    f"{p['requests_per_second']:,}",
                    p["p50_ms"],
                    p["p99_ms"],
                    p["lost"],
                    p["failed_requests"],
                    p["server_cpu_seconds"],
                ]
            )
    during = [
        f"- `{m['mode']}`: {p['events_per_second']:,} events/s, p99 {p['p99_ms']} ms, "
        f"longest {p['max_ms']} ms, {p['failed_requests']} failed, {p['lost']} lost, while the "
        f"job processed a backlog of {p['backlog']:,} events ({p['job_seconds']} s)."
        for m in payload["modes"]
        if (p := m["while_processing"])
    ]
    kills = [
        f"- `{m['mode']}`: {m['kill_check']['acknowledged_before_kill']} events acknowledged, then "
        f"SIGKILL; {m['kill_check']['missing_after_restart']} missing from the inbox."
        for m in payload["modes"]
    ]
    best = payload["best_single_event_per_second"]
    verdict = "meets" if best >= TARGET else "misses"
    return "\n".join(
        [
            "# Event ingestion over HTTP (`POST /v1/events`)",
            "",
            f"Measured {payload['measured_at']} on {payload['machine']['nproc']} CPUs "
            f"({payload['machine']['cpu']}), SQLite {payload['machine']['sqlite']}; load average "
            f"before: {payload['load_average_before']}. Server and `wrk` share the machine.",
            "",
            f"**Best, one event per request: {best:,} events/s** ({verdict} the target of "
            f"{TARGET:,}/s); **with {payload['batch']} events per request: "
            f"{payload['best_batch_events_per_second']:,} events/s**.",
            "",
            markdown_table(
                [
                    "set-up",
                    "events/request",
                    "connections",
                    "events/s",
                    "requests/s",
                    "p50 ms",
                    "p99 ms",
                    "lost",
                    "failed",
                    "server CPU s",
                ],
                rows,
            ),
            "",
            "`lost` is acknowledged events missing from the inbox afterwards (must be 0).",
            "",
            "One event per request while `process-events` works through a backlog in the same",
            "SQLite database (each of its batches holds the one write lock: requests wait, none",
            "may fail):",
            "",
            *during,
            "",
            "Kill -9 check (events sent one at a time, server killed half-way):",
            "",
            *kills,
            "",
            "Reproduce: `.venv/bin/python bench/events_ingest.py` (see its docstring).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="serve,workers2", help="serve and/or workersN")
    parser.add_argument("--connections", default="8,32", help="wrk connections per phase")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up")
    parser.add_argument("--repeats", type=int, default=2, help="phases per connection count")
    parser.add_argument("--batch", type=int, default=50, help="events per request, batch phase")
    parser.add_argument(
        "--backlog", type=int, default=50_000, help="inbox to process while posting; 0: skip"
    )
    args = parser.parse_args()
    args.connections = [int(c) for c in args.connections.split(",")]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    load = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bg-ingest-"))
    try:
        modes = [run_mode(mode, args, work) for mode in args.modes.split(",")]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    singles = [p for m in modes for p in m["phases"] if p["events_per_request"] == 1]
    batches = [p for m in modes for p in m["phases"] if p["events_per_request"] > 1]
    payload = {
        "measured_at": now_iso(),
        "machine": machine(),
        "source": source(),
        "load_average_before": [round(x, 2) for x in load],
        "target_events_per_second": TARGET,
        "batch": args.batch,
        "best_single_event_per_second": max(p["events_per_second"] for p in singles),
        "best_batch_events_per_second": max((p["events_per_second"] for p in batches), default=0),
        "modes": modes,
    }
    json_path, md_path = write_results(NAME, payload, markdown(payload))
    print(markdown(payload))
    print(f"\nwrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()
