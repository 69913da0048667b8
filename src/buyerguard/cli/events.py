"""Events and alerts: load a seller's order history, and send an alert delivery again."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from buyerguard.cli.common import (
    RowId,
    emit,
    now,
    opened,
    reports_errors,
    seller_named,
    text_file,
)
from buyerguard.config import Settings
from buyerguard.services import alerts, event_processing, events
from buyerguard.storage.unit_of_work import SqlUnitOfWork


@click.group("events")
def events_group() -> None:
    """Order-lifecycle events (docs/events.md)."""


@events_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seller", "seller_name", required=True, help="The seller whose history it is.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "csv", "jsonl"]),
    default="auto",
    help="auto: CSV for a .csv file, else JSON Lines.",
)
@click.option(
    "--process/--no-process",
    default=True,
    help="Apply the event rules now (else the process-events job does).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def events_import(
    settings: Settings,
    file: Path,
    seller_name: str,
    file_format: str,
    process: bool,
    as_json: bool,
) -> None:
    """Import past orders and outcomes as events (CSV or JSON Lines), all lines or none."""
    csv_format = file_format == "csv" or (file_format == "auto" and file.suffix.lower() == ".csv")
    # The csv module reads line breaks itself (in quoted cells too); JSON Lines end at "\n" only.
    newline = "" if csv_format else "\n"
    with opened(settings) as db, text_file(file, newline=newline) as lines:
        who = seller_named(db, seller_name)
        result = events.import_event_history(
            SqlUnitOfWork(db.sessions),
            lines,
            csv_format=csv_format,
            seller_id=who.id,
            secret=settings.identifier_secret(),
            now=now(),
        )
        report = (
            event_processing.process_events(SqlUnitOfWork(db.sessions), now=now())
            if process
            else None
        )
    data = {
        "accepted": result.new,
        "duplicates": result.duplicates,
        "processed": None if report is None else asdict(report),
    }
    text = f"imported {result.new} events; {result.duplicates} duplicates"
    if report is not None:
        text += (
            f"\nprocessed {report.events} events: {report.tags_created} tags made, "
            f"{report.tags_withdrawn} withdrawn, {report.orders_completed} clean orders"
        )
    emit(data, as_json=as_json, text=text)


@click.group("alerts")
def alerts_group() -> None:
    """Alerts delivered to sellers' subscribed URLs."""


@alerts_group.command("replay")
@click.argument("delivery_id", type=RowId())
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def alerts_replay(settings: Settings, delivery_id: int, as_json: bool) -> None:
    """Send a delivery again (same body and id) at the next deliver-alerts run."""
    with opened(settings) as db:
        delivery = alerts.replay_delivery(
            SqlUnitOfWork(db.sessions), delivery_id, seller_id=None, now=now()
        )
    emit(
        {"id": delivery.id, "status": delivery.status.value},
        as_json=as_json,
        text=f"delivery {delivery.id} is {delivery.status.value} again",
    )


COMMANDS = (events_group, alerts_group)
