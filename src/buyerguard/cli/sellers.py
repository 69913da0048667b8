"""Sellers and their API keys from the command line: create, list, issue and revoke keys.

A key revoked here is refused at once by every later command; a running server may honour it for
up to BUYERGUARD_AUTH_CACHE_SECONDS more, as long as it remembers it.
"""

from __future__ import annotations

from typing import Any

import click

from buyerguard.cli.common import RowId, emit, now, opened, reports_errors, seller_named
from buyerguard.config import Settings
from buyerguard.domain.sellers import ApiKey, Role
from buyerguard.services import sellers
from buyerguard.storage.unit_of_work import SqlUnitOfWork

PAGE = 500


@click.group()
def seller() -> None:
    """Manage sellers and their API keys."""


@seller.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="An operator's key: may name sellers in imports.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def seller_create(settings: Settings, name: str, admin: bool, as_json: bool) -> None:
    """Create a seller and print its API key (shown once).

    NAME: letters and digits of any script, spaces and . _ @ & ' -; a name differing from a
    seller's in case only is taken, and finds that seller wherever --seller asks for one."""
    with opened(settings) as db:
        role = Role.ADMIN if admin else Role.SELLER
        created = sellers.create_seller(SqlUnitOfWork(db.sessions), name, role=role, now=now())
    data = {"seller_id": created.seller.id, "api_key": created.api_key}
    emit(
        data,
        as_json=as_json,
        text=f"seller {created.seller.id} created; API key: {created.api_key}",
    )


@seller.command("list", short_help="Sellers, their roles and active keys.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def seller_list(settings: Settings, as_json: bool) -> None:
    """List the sellers, oldest first, with their role and number of active keys."""
    listed: list[sellers.ListedSeller] = []
    with opened(settings) as db:
        uow = SqlUnitOfWork(db.sessions)
        while page := sellers.list_sellers(
            uow, after_id=listed[-1].seller.id if listed else None, limit=PAGE
        ):
            listed += page
    rows = [
        {
            "id": s.seller.id,
            "name": s.seller.name,
            "role": s.seller.role.value,
            "active_keys": s.active_keys,
        }
        for s in listed
    ]
    lines = [f"{'id':>6}  {'role':<6}  {'keys':>4}  name"]
    lines += [f"{r['id']:>6}  {r['role']:<6}  {r['active_keys']:>4}  {r['name']}" for r in rows]
    emit(rows, as_json=as_json, text="\n".join(lines))


@seller.command("key", short_help="Issue another API key (shown once).")
@click.argument("name")
@click.option("--revoke-others", is_flag=True, help="Revoke the seller's other keys with it.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def seller_key(settings: Settings, name: str, revoke_others: bool, as_json: bool) -> None:
    """Issue another API key of seller NAME and print it (shown once)."""
    with opened(settings) as db:
        who = seller_named(db, name, param_hint="NAME")
        issued = sellers.issue_api_key(
            SqlUnitOfWork(db.sessions), who.id, revoke_others=revoke_others, now=now()
        )
    data = {
        "seller_id": who.id,
        "key_id": issued.key.id,
        "prefix": issued.key.prefix,
        "api_key": issued.api_key,
        "revoked": issued.revoked,
    }
    text = f"key {issued.key.id} of seller {who.name!r}: {issued.api_key}"
    if issued.revoked:
        text += f"\n{_revoked(issued.revoked)}"
    emit(data, as_json=as_json, text=text)


@seller.command("keys", short_help="A seller's API keys, never the keys.")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def seller_keys(settings: Settings, name: str, as_json: bool) -> None:
    """List the API keys of seller NAME, newest first: id, first characters, when issued, last
    used (to five minutes) and revoked (never the keys themselves)."""
    with opened(settings) as db:
        who = seller_named(db, name, param_hint="NAME")
        keys = sellers.list_api_keys(SqlUnitOfWork(db.sessions), who.id)
    emit([_key(k) for k in keys], as_json=as_json, text="\n".join(map(_key_line, keys)))


@seller.command("revoke-keys", short_help="Revoke API keys of a seller.")
@click.argument("name")
@click.option("--key", "key_ids", type=RowId(), multiple=True, help="Only the key of this id.")
@click.option("--except-newest", is_flag=True, help="All active keys but the newest.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def seller_revoke_keys(
    settings: Settings, name: str, key_ids: tuple[int, ...], except_newest: bool, as_json: bool
) -> None:
    """Revoke API keys of seller NAME: all its active keys, or those named by --key (repeat it).

    A revoked key is refused at once by commands and by a server that does not remember it; a
    running server may go on accepting a key it used in the last BUYERGUARD_AUTH_CACHE_SECONDS."""
    if key_ids and except_newest:
        raise click.UsageError("give --key or --except-newest, not both")
    with opened(settings) as db:
        who = seller_named(db, name, param_hint="NAME")
        revoked = sellers.revoke_api_keys(
            SqlUnitOfWork(db.sessions),
            who.id,
            key_ids=key_ids or None,
            keep_newest=except_newest,
            now=now(),
        )
    emit({"seller_id": who.id, "revoked": revoked}, as_json=as_json, text=_revoked(revoked))


def _revoked(ids: list[int]) -> str:
    if not ids:
        return "no active key revoked"
    return f"revoked key{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}"


def _key(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(),
        "revoked_at": None if key.revoked_at is None else key.revoked_at.isoformat(),
        "last_used_at": None if key.last_used_at is None else key.last_used_at.isoformat(),
    }


def _key_line(key: ApiKey) -> str:
    state = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
    shown = f"{key.prefix}..." if key.prefix else "(issued before prefixes)"
    used = "never used" if key.last_used_at is None else f"used {key.last_used_at:%Y-%m-%d %H:%M}"
    issued = f"issued {key.created_at:%Y-%m-%d %H:%M}"
    return f"{key.id:>6}  {shown:<24}  {issued}  {used:<22}  {state}"


COMMANDS = (seller,)
