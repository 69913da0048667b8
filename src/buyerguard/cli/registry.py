"""The registry from the command line: tags, lookups, imports and the demo."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from buyerguard.cli.common import (
    TEXT_FILES,
    RowId,
    buyer_from,
    buyer_options,
    counted,
    emit,
    now,
    opened,
    reports_errors,
    seller_named,
)
from buyerguard.config import Settings
from buyerguard.domain.profiles import Profile
from buyerguard.domain.reputation import shown
from buyerguard.domain.tags import NewTag
from buyerguard.services import buyers, demo, imports, tags
from buyerguard.storage.unit_of_work import SqlUnitOfWork


@click.command("tag")
@click.option("--seller", "seller_name", required=True, help="The reporting seller's name.")
@click.option("--reason", required=True)
@click.option("--note", default="")
@click.option("--order-ref", default=None)
@buyer_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def tag_command(
    settings: Settings,
    /,
    seller_name: str,
    reason: str,
    note: str,
    order_ref: str | None,
    as_json: bool,
    **ids: Any,
) -> None:
    """Tag a buyer for a reason, as a seller."""
    with opened(settings) as db:
        who = seller_named(db, seller_name)
        new = NewTag(seller_id=who.id, reason=reason, note=note, order_ref=order_ref)
        tag_id = tags.add_tag(
            SqlUnitOfWork(db.sessions),
            buyer_from(ids),
            new,
            secret=settings.identifier_secret(),
            now=now(),
        )
    emit({"id": tag_id}, as_json=as_json, text=f"tag {tag_id} added")


@click.command("untag")
@click.argument("tag_id", type=RowId())
@click.option("--seller", "seller_name", required=True)
@click.pass_obj
@reports_errors
def untag(settings: Settings, tag_id: int, seller_name: str) -> None:
    """Retract one of a seller's tags."""
    with opened(settings) as db:
        who = seller_named(db, seller_name)
        tags.retract_tag(SqlUnitOfWork(db.sessions), tag_id, seller_id=who.id, now=now())
    click.echo(f"tag {tag_id} retracted")


@click.command("lookup")
@click.option(
    "--seller", "seller_name", required=True, help="Whose view: that seller's own tags show."
)
@buyer_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def lookup(settings: Settings, /, seller_name: str, as_json: bool, **ids: Any) -> None:
    """Show a buyer's record as a seller sees it."""
    with opened(settings) as db:
        who = seller_named(db, seller_name)
        profile = buyers.look_up_buyer(
            SqlUnitOfWork(db.sessions),
            buyer_from(ids),
            viewer_id=who.id,
            secret=settings.identifier_secret(),
            now=now(),
        )
    emit(profile_json(profile), as_json=as_json, text=profile_text(profile))


def profile_json(profile: Profile) -> dict[str, Any]:
    return asdict(profile)


def _sellers(count: int, *, width: int = 0) -> str:
    return f"{count:>{width}} seller" + ("" if count == 1 else "s")


def profile_text(profile: Profile) -> str:
    risk = profile.risk
    score = shown(risk.score, 2)
    flagged = _sellers(profile.distinct_reporters)
    lines = [f"Flagged by {flagged}    risk: {risk.level} ({score:.2f})"]
    for tag in profile.my_tags:
        lines.append(f"  My own tag:     {tag.reason}  {tag.note}".rstrip())
    for line in profile.reasons:
        if line.sellers:
            lines.append(f"  Other sellers:  {line.label:<60} {_sellers(line.sellers, width=3)}")
    lines.append(f"  Completed orders without problems: {_sellers(profile.clean_sellers)}")
    for c in risk.contributions:
        lines.append(f"  - {c.explanation}")
    return "\n".join(lines)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--seller",
    "seller_name",
    required=True,
    help="The importing seller (an admin may name others per line).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def import_command(settings: Settings, file: Path, seller_name: str, as_json: bool) -> None:
    """Import a JSON Lines file of tags and completed orders, all or nothing."""
    # Bytes that are not UTF-8 are left in the text for each line to be reported with its number.
    text = file.open(encoding=TEXT_FILES, errors="surrogateescape", newline="\n")
    with text as lines, opened(settings) as db:
        who = seller_named(db, seller_name)
        result = imports.import_lines(
            SqlUnitOfWork(db.sessions),
            lines,
            importer=who,
            secret=settings.identifier_secret(),
            now=now(),
        )
    data = {
        "tags": result.tags,
        "completed_orders": result.completed_orders,
        "duplicates": result.duplicates,
    }
    emit(
        data,
        as_json=as_json,
        text=f"imported {counted(result.tags, 'tag')}, "
        f"{counted(result.completed_orders, 'completed order')}; "
        f"{counted(result.duplicates, 'duplicate')}",
    )


@click.command("demo")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def demo_command(settings: Settings, as_json: bool) -> None:
    """Load the demo data (once; the database is created if need be) and print a key of the demo
    seller."""
    with opened(settings, create=True) as db:
        result = demo.load_demo(
            SqlUnitOfWork(db.sessions), secret=settings.identifier_secret(), now=now()
        )
    data = {"api_key": result.api_key, "case_study_buyer": demo.CASE_STUDY_BUYER}
    state = "loaded" if result.loaded else "already there; new key issued"
    emit(
        data,
        as_json=as_json,
        text=f"demo data {state}\nseller: {demo.DEMO_SELLER}\nAPI key: {result.api_key}\n"
        f"case-study buyer: {json.dumps(demo.CASE_STUDY_BUYER)}",
    )


COMMANDS = (tag_command, untag, lookup, import_command, demo_command)
