"""Claims that two buyer records are one person, for operators who watch the registry."""

from __future__ import annotations

from typing import Any

import click

from buyerguard.cli.common import emit, opened, reports_errors
from buyerguard.config import Settings
from buyerguard.domain.links import LINK_SELLERS, PendingLink
from buyerguard.services import links
from buyerguard.storage.unit_of_work import SqlUnitOfWork


@click.command("link-claims", short_help="Buyer records claimed to be one person, not merged yet.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def link_claims(settings: Settings, limit: int, as_json: bool) -> None:
    """List pairs of buyer records that a seller gave together but that other sellers know too:
    they merge once a second seller gives them together. Most recently claimed first, with the
    sellers that claimed them. Many claims by one seller may be an attempt to hang tagged records
    on honest buyers."""
    with opened(settings) as db:
        pending = links.pending_links(SqlUnitOfWork(db.sessions), limit=limit)
    text = "\n".join(map(_line, pending)) or "no pending claims"
    emit([_json(p) for p in pending], as_json=as_json, text=text)


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
