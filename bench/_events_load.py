"""The server under test and the load generator of bench/events_ingest.py.

`workersN` runs `buyerguard serve --workers N --no-jobs`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
SECRET = "buyerguard-bench-secret-0123456789abcdef"

LUA = """
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
local function event()
  counter = counter + 1
  local n = "%(phase)s-" .. thread_id .. "-" .. counter
  return '{"event_id":"' .. n .. '","type":"order.created","occurred_at":"2026-11-30T12:00:00Z",'
    .. '"order_ref":"O-' .. n .. '","buyer":{"email":"b' .. (counter %% 50000) .. '@example.com"}}'
end
function request()
  if %(batch)d == 1 then
    return wrk.format(nil, "/v1/events", nil, event())
  end
  local parts = {}
  for i = 1, %(batch)d do parts[i] = event() end
  return wrk.format(nil, "/v1/events", nil, "[" .. table.concat(parts, ",") .. "]")
end
function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests":%%d,"duration_us":%%d,"non_2xx":%%d,"socket_errors":%%d,'
    .. '"p50_ms":%%.3f,"p99_ms":%%.3f,"max_ms":%%.3f}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, mode: str, data_dir: Path) -> None:
        self.mode = mode
        self.port = free_port()
        env = environment(data_dir)
        if mode == "serve":
            command = [str(VENV_BIN / "buyerguard"), "serve", "--port", str(self.port)]
        else:
            # N processes, the background jobs left out as a deployment runs them elsewhere.
            workers = mode.removeprefix("workers")
            command = [str(VENV_BIN / "buyerguard"), "serve", "--port", str(self.port)]
            command += ["--workers", workers, "--no-jobs"]
        # A request wrk abandons when its time is up is logged by the server: kept out of sight.
        self.log = (data_dir / "server.log").open("w")
        # Its own process group, so that a kill reaches uvicorn's workers too.
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=self.log, start_new_session=True
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the {mode} server did not start")

    def cpu_seconds(self) -> float:
        """User + system time of the server and its worker processes so far."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """SIGKILL to the server and its workers, as a crash or `kill -9` of the service."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.log.close()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return  # the whole group is gone already
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


def environment(data_dir: Path) -> dict[str, str]:
    return os.environ | {"BUYERGUARD_DATA_DIR": str(data_dir), "BUYERGUARD_SECRET_KEY": SECRET}


def inbox_count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "buyerguard.db") as connection:
        return int(connection.execute("SELECT count(*) FROM events").fetchone()[0])


def prepare(data_dir: Path) -> str:
    """Migrate a fresh database and create the posting seller; returns its API key."""
    env = environment(data_dir)
    buyerguard = str(VENV_BIN / "buyerguard")
    subprocess.run([buyerguard, "init"], env=env, check=True, capture_output=True)
    created = subprocess.run(
        [buyerguard, "seller", "create", "Bench Shop", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key: str = json.loads(created.stdout)["api_key"]
    return key


def wrk(server: Server, script: Path, *, connections: int, duration: float) -> dict[str, Any]:
    before = server.cpu_seconds()
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            server.url + "/v1/events",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    result["server_cpu_seconds"] = round(server.cpu_seconds() - before, 2)
    return result
