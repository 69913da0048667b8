"""For operators watching the registry: claims that two buyer records are one person; merges."""

from __future__ import annotations

from typing import Any

import click

from buyerguard.cli.common import RowId, counted, emit, now, opened, reports_errors
from buyerguard.config import Settings
from buyerguard.domain.links import LINK_SELLERS, PendingLink
from buyerguard.domain.merges import Merge
from buyerguard.domain.records import BuyerRecord
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
        kept, merged = link_review.approve_link(
            SqlUnitOfWork(db.sessions), buyer_id, other_buyer_id, now=now()
        )
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
        (low, high), dropped = link_review.reject_link(
            SqlUnitOfWork(db.sessions), buyer_id, other_buyer_id, note=note, now=now()
        )
    emit(
        {"buyer_id": low, "other_buyer_id": high, "claims_dropped": dropped},
        as_json=as_json,
        text=f"buyers {low} and {high} kept apart; {dropped} claim(s) dropped",
    )


@click.group("merges")
def merges() -> None:
    """Merges of two buyer records into one, and undoing them.

    A merge folds one record into another (by two sellers' word, an operator's approval, or a
    seller's own records). One found wrong is undone: what it moved goes back, and the two
    records are ruled apart (see link-claims)."""


@merges.command("list", short_help="Merges, newest first.")
@click.option("--buyer", "buyer_id", type=RowId(), default=None, help="Of this buyer only.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def merges_list(settings: Settings, buyer_id: int | None, limit: int, as_json: bool) -> None:
    """List merges newest first, with the record kept and the one folded into it; with --buyer,
    those that kept or folded away that buyer."""
    with opened(settings) as db:
        found = link_review.list_merges(SqlUnitOfWork(db.sessions), buyer_id, limit=limit)
    text = "\n".join(map(_merge_line, found)) or "no merges"
    emit([_merge_json(m) for m in found], as_json=as_json, text=text)


@merges.command("undo", short_help="Undo a merge of two buyer records.")
@click.argument("merge_id", type=RowId())
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def merges_undo(settings: Settings, merge_id: int, as_json: bool) -> None:
    """Move back to the merged record what the merge moved (identifiers, tags, orders, logged
    screenings, list entries) and restore the duplicates it removed; what reached the kept record
    since stays there. The two records are then ruled apart. Merges along a chain are undone
    newest first."""
    with opened(settings) as db:
        merge = link_review.undo_merge(SqlUnitOfWork(db.sessions), merge_id, now=now())
    emit(
        _merge_json(merge),
        as_json=as_json,
        text=f"merge {merge.id} undone: buyers {merge.buyer_id} and {merge.merged_id} are apart",
    )


@click.group("buyer")
def buyer() -> None:
    """Buyer records by id, as operators review them."""


@buyer.command("show", short_help="A buyer record by id: who reported it, for what.")
@click.argument("buyer_id", type=RowId())
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def buyer_show(settings: Settings, buyer_id: int, as_json: bool) -> None:
    """Show a buyer record by id (as link-claims and merges name them): the record holding it now,
    its kinds of identifiers (never an identifier), its active tags with the sellers that gave
    them (never their notes), and its risk."""
    with opened(settings) as db:
        record = link_review.buyer_record(
            SqlUnitOfWork(db.sessions), buyer_id, viewer_id=0, now=now()
        )
    emit(_record_json(record), as_json=as_json, text=_record_text(record))


def _record_json(record: BuyerRecord) -> dict[str, Any]:
    profile = record.profile
    return {
        "asked_id": record.asked_id,
        "buyer_id": record.buyer_id,
        "created_at": record.created_at.isoformat(),
        "identifiers": record.identifiers,
        "tags": [
            {
                **tag.__dict__,
                "created_at": tag.created_at.isoformat(),
                "expires_at": tag.expires_at.isoformat(),
            }
            for tag in record.tags
        ],
        "distinct_reporters": profile.distinct_reporters,
        "clean_sellers": profile.clean_sellers,
        "risk": {"score": profile.risk.score, "level": profile.risk.level},
    }


def _record_text(record: BuyerRecord) -> str:
    head = f"buyer {record.buyer_id}"
    if record.asked_id != record.buyer_id:
        head = f"buyer {record.asked_id}: merged into {head}"
    kinds = ", ".join(f"{kind} {count}" for kind, count in record.identifiers.items())
    risk = record.profile.risk
    lines = [
        f"{head}, created {record.created_at:%Y-%m-%d}; identifiers: {kinds or 'none'}",
        f"{counted(record.profile.distinct_reporters, 'reporter')}, "
        f"{counted(record.profile.clean_sellers, 'clean seller')}, "
        f"risk {risk.level} ({risk.score:.2f})",
    ]
    lines += [
        f"  {tag.created_at:%Y-%m-%d}  {tag.reason:<20} {tag.seller}"
        + ("  (order-backed)" if tag.order_backed else "")
        for tag in record.tags
    ]
    return "\n".join(lines)


def _merge_json(merge: Merge) -> dict[str, Any]:
    return {
        "id": merge.id,
        "buyer_id": merge.buyer_id,
        "merged_buyer_id": merge.merged_id,
        "merged_at": merge.merged_at.isoformat(),
        "undone_at": merge.undone_at.isoformat() if merge.undone_at else None,
        "seller": merge.seller,
        "claimed_by": list(merge.claimed_by),
    }


def _merge_line(merge: Merge) -> str:
    undone = f"  undone {merge.undone_at:%Y-%m-%d %H:%M}" if merge.undone_at else ""
    what = f"buyer {merge.merged_id} into buyer {merge.buyer_id}"
    by = f"by {merge.seller}" if merge.seller else "approved by an operator"
    if merge.claimed_by:
        by += f", claimed by {', '.join(merge.claimed_by)}"
    return f"{merge.id:>6}  {merge.merged_at:%Y-%m-%d %H:%M}  {what} ({by}){undone}"


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


COMMANDS = (link_claims, merges, buyer)
