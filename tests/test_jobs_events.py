"""The event and alert jobs, and their commands: `jobs run-once process-events`,
`jobs run-once deliver-alerts`, `events import`, `alerts replay`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from buyerguard import jobs
from buyerguard.cli import cli
from buyerguard.config import Settings
from buyerguard.domain.alerts import SCREENING_DECIDED
from buyerguard.domain.events import Event
from buyerguard.domain.sellers import Role
from buyerguard.services import alerts, events, tags
from buyerguard.services.sellers import create_seller
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW, SECRET


@pytest.fixture
def env(tmp_path: Path, database: Database) -> dict[str, str]:
    return {
        "BUYERGUARD_DATA_DIR": str(tmp_path / "data"),
        "BUYERGUARD_SECRET_KEY": SECRET.decode(),
        "BUYERGUARD_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
    }


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_process_events_is_a_job_in_the_table(uow: SqlUnitOfWork, tmp_path: Path) -> None:
    shop = create_seller(uow, "Shop", role=Role.SELLER, now=NOW).seller.id
    refused = Event("e1", "cod.refused", NOW, "A-1", buyer={"email": "b@example.com"})
    events.accept_events(uow, [refused], seller_id=shop, secret=SECRET, now=NOW)
    report = jobs.run_once("process-events", uow, settings=Settings(data_dir=tmp_path), now=NOW)
    assert getattr(report, "tags_created", None) == 1
    (tag,) = tags.list_tags(uow, seller_id=shop, after_id=None, limit=5, now=NOW)
    assert (tag.reason, tag.source.value) == ("cod_refusal", "event")
    assert {"process-events", "deliver-alerts"} <= set(jobs.JOB_NAMES)


def test_the_cli_runs_the_event_jobs(env: dict[str, str], uow: SqlUnitOfWork) -> None:
    shop = create_seller(uow, "Shop", role=Role.SELLER, now=NOW).seller.id
    refused = Event("e1", "cod.refused", NOW, "A-1", buyer={"email": "b@example.com"})
    events.accept_events(uow, [refused], seller_id=shop, secret=SECRET, now=NOW)
    assert "tags_created=1" in run(env, "jobs", "run-once", "process-events")
    assert "sent=0" in run(env, "jobs", "run-once", "deliver-alerts")


def test_events_import_loads_history_and_applies_the_rules(
    env: dict[str, str], uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    create_seller(uow, "Shop", role=Role.SELLER, now=NOW)
    history = tmp_path / "history.csv"
    # As a spreadsheet saves it: with a byte-order mark.
    history.write_text(
        "\ufefftype,occurred_at,order_ref,email,claim,outcome\n"
        "order.delivered,2026-01-02T10:00:00Z,H-1,h@example.com,,\n"
        "dispute.resolved,2026-01-20T10:00:00Z,H-1,,quality,seller_won\n"
    )
    result = json.loads(run(env, "events", "import", str(history), "--seller", "Shop", "--json"))
    assert result["accepted"] == 2
    assert result["processed"]["tags_created"] == 1
    again = run(env, "events", "import", str(history), "--seller", "Shop")
    assert again.startswith("imported 0 events; 2 duplicates")


def test_a_bad_history_file_is_refused_with_its_line(
    env: dict[str, str], uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    create_seller(uow, "Shop", role=Role.SELLER, now=NOW)
    history = tmp_path / "history.jsonl"
    history.write_text('{"type": "order.created"}\n')
    result = CliRunner().invoke(
        cli, ["events", "import", str(history), "--seller", "Shop"], env=env
    )
    assert result.exit_code == 1
    assert "invalid_import" in result.output
    assert "line 1" in result.output


def test_a_history_file_of_json_lines_ends_lines_at_line_feeds_only(
    env: dict[str, str], uow: SqlUnitOfWork, tmp_path: Path
) -> None:
    create_seller(uow, "Shop", role=Role.SELLER, now=NOW)
    history = tmp_path / "history.jsonl"
    history.write_bytes(
        b'{"type": "order.created",\r"occurred_at": "2026-01-02T10:00:00Z", "order_ref": "H-1"}\r\n'
    )
    assert run(
        env, "events", "import", str(history), "--seller", "Shop", "--no-process"
    ).startswith("imported 1 events")


def test_alerts_replay_makes_a_delivery_due_again(env: dict[str, str], uow: SqlUnitOfWork) -> None:
    shop = create_seller(uow, "Shop", role=Role.SELLER, now=NOW).seller.id
    subscription = alerts.subscribe(
        uow,
        seller_id=shop,
        url="https://hooks.example.com/",
        kinds=[SCREENING_DECIDED],
        secret=None,
        now=NOW,
    ).subscription
    with uow:
        alerts.record_alert(uow, seller_id=shop, kind=SCREENING_DECIDED, payload={}, now=NOW)
        uow.commit()
    (delivery,) = alerts.list_deliveries(
        uow, subscription.id, seller_id=shop, after_id=None, limit=5
    )
    assert run(env, "alerts", "replay", str(delivery.id)).strip() == (
        f"delivery {delivery.id} is pending again"
    )
    missing = CliRunner().invoke(cli, ["alerts", "replay", "999999"], env=env)
    assert missing.exit_code == 1
    assert "delivery_not_found" in missing.output
