"""Claims that two buyer records are one person, for operators who watch the registry."""

from __future__ import annotations

from typing import Any

import click

from buyerguard.cli.common import RowId, emit, now, opened, reports_errors
from buyerguard.config import Settings
from buyerguard.domain.links import LINK_SELLERS, PendingLink
from buyerguard.services import link_review
from buyerguard.storage.unit_of_work import SqlUnitOfWork


@click.group("link-claims")
def link_claims() -> None:
    """Review sellers' claims that two buyer records are one person.

    A seller that gives identifiers of two records other sellers know too (on a tag, an order, a
    screening ...) only claims they are one person; a second seller's word merges them. Here an
    operator lists the claims waiting, merges a pair at once, or rules it apart for good."""


@link_claims.command("list", short_help="Claims not merged yet, most recent first.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def claims_list(settings: Settings, limit: int, as_json: bool) -> None:
    """List pairs of buyer records that a seller gave together but that other sellers know too:
    they merge once a second seller gives them together. Most recently claimed first, with the
    sellers that claimed them. Many claims by one seller may be an attempt to hang tagged records
    on honest buyers."""
    with opened(settings) as db:
        pending = link_review.pending_links(SqlUnitOfWork(db.sessions), limit=limit)
    text = "\n".join(map(_line, pending)) or "no pending claims"
    emit([_json(p) for p in pending], as_json=as_json, text=text)


@link_claims.command("approve", short_help="Merge a claimed pair of buyer records now.")
@click.argument("buyer_id", type=RowId())
@click.argument("other_buyer_id", type=RowId())
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def claims_approve(settings: Settings, buyer_id: int, other_buyer_id: int, as_json: bool) -> None:
    """Merge the two records of a pending claim into the older one, as a second seller's word
    would: every tag, order and list entry of the newer becomes the older's."""
    with opened(settings) as db:
        kept = link_review.approve_link(
            SqlUnitOfWork(db.sessions), buyer_id, other_buyer_id, now=now()
        )
    merged = other_buyer_id if kept == buyer_id else buyer_id
    emit(
        {"buyer_id": kept, "merged_buyer_id": merged},
        as_json=as_json,
        text=f"buyer {merged} merged into buyer {kept}",
    )


@link_claims.command("reject", short_help="Rule a claimed pair apart for good.")
@click.argument("buyer_id", type=RowId())
@click.argument("other_buyer_id", type=RowId())
@click.option("--note", default=None, help="Why, for other operators; never shown to sellers.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def claims_reject(
    settings: Settings, buyer_id: int, other_buyer_id: int, note: str | None, as_json: bool
) -> None:
    """Drop the claims that two records are one person and keep them apart: no seller's word
    merges them from now on (the ruling follows either record into later merges)."""
    with opened(settings) as db:
        dropped = link_review.reject_link(
            SqlUnitOfWork(db.sessions), buyer_id, other_buyer_id, note=note, now=now()
        )
    low, high = sorted((buyer_id, other_buyer_id))
    emit(
        {"buyer_id": low, "other_buyer_id": high, "claims_dropped": dropped},
        as_json=as_json,
        text=f"buyers {low} and {high} kept apart; {dropped} claim(s) dropped",
    )


def _json(link: PendingLink) -> dict[str, Any]:
    return {
        "buyer_id": link.pair[0],
        "other_buyer_id": link.pair[1],
        "sellers": list(link.sellers),
        "first_claimed_at": link.first_at.isoformat(),
        "last_claimed_at": link.last_at.isoformat(),
    }


def _line(link: PendingLink) -> str:
    said = f"{len(link.sellers)} of {LINK_SELLERS} sellers"
    pair = f"buyers {link.pair[0]} and {link.pair[1]}"
    return f"{link.last_at:%Y-%m-%d %H:%M}  {pair:<30}  {said}: {', '.join(link.sellers)}"


COMMANDS = (link_claims,)
