"""`buyerguard serve` as a user runs it: a real process, real HTTP, and its background jobs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from buyerguard.cli import cli
from buyerguard.storage.database import Database

DEADLINE = 60.0  # seconds; a bound on waiting, not a measure of speed


def call(url: str, key: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(check: Any) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError("the condition did not hold before the deadline")


@pytest.fixture(params=[1, 2], ids=["one process", "two workers"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path, database: Database
) -> Iterator[tuple[str, str]]:
    workers = request.param
    env = {
        **os.environ,
        "BUYERGUARD_DATA_DIR": str(tmp_path / "data"),
        "BUYERGUARD_SECRET_KEY": "serve-test-secret",
        "BUYERGUARD_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
    }
    created = CliRunner().invoke(cli, ["seller", "create", "Shop", "--json"], env=env)
    key = json.loads(created.output)["api_key"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "buyerguard",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: call(f"{base}/healthz", key))
        yield base, key
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_served_events_become_tags_through_the_jobs_it_runs(served: tuple[str, str]) -> None:
    base, key = served
    at = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    buyer = {"email": "late.payer@example.com"}
    event = {
        "event_id": "e-1",
        "type": "order.payment_timeout",
        "occurred_at": at,
        "order_ref": "P-1",
        "buyer": buyer,
    }
    assert call(f"{base}/v1/events", key, event)
    profile = wait_for(
        lambda: (p := call(f"{base}/v1/buyers/lookup", key, {"buyer": buyer}))["my_tags"] and p
    )
    assert [(t["reason"], t["source"]) for t in profile["my_tags"]] == [("unpaid_order", "event")]
