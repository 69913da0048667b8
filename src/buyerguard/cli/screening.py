"""Screening from the command line: screen orders, manage the policy, the lists, backtests."""

from __future__ import annotations

import codecs
import json
import time
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from buyerguard.cli.common import (
    TEXT_FILES,
    RowId,
    buyer_from,
    buyer_options,
    emit,
    now,
    opened,
    read_text,
    reports_errors,
    seller_named,
)
from buyerguard.config import Settings
from buyerguard.domain.policies import PolicyWarning
from buyerguard.domain.reputation import shown
from buyerguard.domain.screening import LoggedScreening, Order, overridden
from buyerguard.services import lists, policies, screening
from buyerguard.services.policies import BacktestBudget
from buyerguard.services.screening import BatchItem, Screened
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from buyerguard.web.api.schemas import screening_lines
from buyerguard.web.errors import error_fields


def decision_json(screened: Screened) -> dict[str, Any]:
    s = screened.screening
    return {
        "screening_id": s.id,
        "decision": s.action.code,
        "rule": None if s.rule_line is None else {"line": s.rule_line, "text": s.rule_source},
        "reasons": [asdict(r) for r in s.reasons],
        "risk": {"score": shown(screened.risk.score), "level": screened.risk.level},
        "policy_version": s.policy_version,
        "order_ref": s.order.ref,
        "errors": list(s.errors),
    }


def decision_text(screened: Screened) -> str:
    s = screened.screening
    lines = [f"{s.action.code.upper()}  (order {s.order.ref}, {_decided_by(s)})"]
    lines += [f"  - {r.message}" for r in s.reasons]
    lines += [f"  ! {error} (the rule counted as not matching)" for error in s.errors]
    return "\n".join(lines)


def _decided_by(s: LoggedScreening) -> str:
    override = overridden(s.facts.lists)
    if override is not None:  # the seller's allow or block list, before any policy
        return f'your "{override[1].evidence["list"]}" list'
    if s.rule_line is None:
        return f"policy v{s.policy_version}, no rule (default: ship)"
    return f"policy v{s.policy_version}, line {s.rule_line}: {s.rule_source}"


@click.command("screen")
@click.option("--seller", "seller_name", required=True, help="The screening seller.")
@click.option("--ref", default=None, help="Your order reference.")
@click.option("--amount", type=float, default=None)
@click.option("--currency", default="EUR", show_default=True)
@click.option(
    "--payment-method", type=click.Choice(["prepaid", "cod"]), default="prepaid", show_default=True
)
@click.option("--country", default=None, help="ISO 3166 alpha-2 of the shipping address.")
@click.option("--region", default="")
@click.option("--postal-code", default="")
@buyer_options
@click.option(
    "--file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON Lines of {"order": ..., "buyer": ...}; prints one JSON result a line. The order '
    "and buyer options are refused with it.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def screen(
    settings: Settings, /, seller_name: str, file: Path | None, as_json: bool, **options: Any
) -> None:
    """Should this order ship? One order from the options, or a batch from --file."""
    if file is not None:
        _refuse_order_options(options)
    with opened(settings) as db:
        who = seller_named(db, seller_name)
        uow = SqlUnitOfWork(db.sessions)
        secret = settings.identifier_secret()
        if file is not None:
            requests = screening_lines(file.read_bytes().removeprefix(codecs.BOM_UTF8))
            for item in screening.screen_batch(
                uow, requests, seller_id=who.id, secret=secret, now=now()
            ):
                click.echo(json.dumps(_batch_line(item), default=str))
            return
        order = _order_from(options)
        screened = screening.screen_order(
            uow, order, buyer_from(options), seller_id=who.id, secret=secret, now=now()
        )
    emit(decision_json(screened), as_json=as_json, text=decision_text(screened))


def _refuse_order_options(options: dict[str, Any]) -> None:
    """An order or buyer option given with --file would be silently ignored: each line of the file
    gives its own."""
    context = click.get_current_context()
    given = [
        f"--{name.replace('_', '-')}"
        for name in options
        if context.get_parameter_source(name) is not ParameterSource.DEFAULT
    ]
    if given:
        raise click.UsageError(
            f"{', '.join(given)}: not with --file, whose lines give each order and buyer"
        )


def _batch_line(item: BatchItem) -> dict[str, Any]:
    """A line's result as `POST /v1/screenings/batch` gives it: `result` or `error`, the other
    null."""
    return {
        "line": item.line,
        "result": None if item.screened is None else decision_json(item.screened),
        "error": None if item.error is None else error_fields(item.error),
    }


def _order_from(options: dict[str, Any]) -> Order:
    missing = [name for name in ("ref", "amount", "country") if options.get(name) is None]
    if missing:
        raise click.UsageError(f"missing --{', --'.join(missing)} (or give --file)")
    return Order(
        options["ref"],
        options["amount"],
        options["currency"],
        options["payment_method"],
        options["country"],
        options["region"],
        options["postal_code"],
    )


@click.group("policy")
def policy() -> None:
    """Show, set and backtest a seller's screening policy."""


def warn(warnings: Iterable[PolicyWarning]) -> None:
    """Rules that can never fire, one line each on stderr: the policy is valid all the same."""
    for warning in warnings:
        click.echo(f"warning: {warning.code}: {warning.message}", err=True)


@policy.command("show")
@click.option("--seller", "seller_name", required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def policy_show(settings: Settings, seller_name: str, as_json: bool) -> None:
    """Print the policy in force.

    Its rules that can never fire are printed to stderr as warnings.
    """
    with opened(settings) as db:
        found = policies.get_policy(
            SqlUnitOfWork(db.sessions), seller_id=seller_named(db, seller_name).id
        )
    data = {
        "version": found.version,
        "is_default": found.is_default,
        "source": found.policy.source,
        "rules": [  # as GET /v1/policy lists them
            {"line": r.line, "action": r.action.code, "condition": r.condition}
            for r in found.policy.rules
        ],
        "warnings": [asdict(warning) for warning in found.warnings],
    }
    emit(data, as_json=as_json, text=f"# version {found.version}\n{found.policy.source}")
    warn(found.warnings)


@policy.command("set")
@click.argument("file", type=click.File("r", encoding=TEXT_FILES))
@click.option("--seller", "seller_name", required=True)
@click.pass_obj
@reports_errors
def policy_set(settings: Settings, file: Any, seller_name: str) -> None:
    """Validate FILE (- for stdin) and save it as the next version.

    Rules that can never fire are saved too, and printed to stderr as warnings.
    """
    source = read_text(file)
    with opened(settings) as db:
        who = seller_named(db, seller_name)
        saved = policies.save_policy(
            SqlUnitOfWork(db.sessions), source, seller_id=who.id, now=now()
        )
    click.echo(f"policy version {saved.version} saved ({len(saved.policy.rules)} rules)")
    warn(saved.warnings)


@policy.command("backtest")
@click.argument("file", type=click.File("r", encoding=TEXT_FILES))
@click.option("--seller", "seller_name", required=True)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),  # as POST /v1/policy/backtest takes
    default=None,
    help="Only the last N days of screenings.",
)
@click.pass_obj
@reports_errors
def policy_backtest(settings: Settings, file: Any, seller_name: str, days: int | None) -> None:
    """Replay the draft in FILE on the seller's logged screenings (prints JSON).

    The newest first, within the budget of BUYERGUARD_BACKTEST_MAX_SCREENINGS and
    BUYERGUARD_BACKTEST_SECONDS: the JSON says how many it replayed of how many. Rules of the
    draft that can never fire are in the JSON's "warnings" and on stderr.
    """
    source = read_text(file)
    with opened(settings) as db:
        who = seller_named(db, seller_name)
        report = policies.backtest_policy(
            SqlUnitOfWork(db.sessions),
            source,
            seller_id=who.id,
            days=days,
            now=now(),
            budget=BacktestBudget(
                settings.backtest_max_screenings, settings.backtest_seconds, time.monotonic
            ),
        )
    click.echo(json.dumps(asdict(report), indent=2))
    warn(report.warnings)


@click.group("list")
def list_group() -> None:
    """A seller's lists: `allow`, `block`, `watch`, or any name a policy reads with list("name")."""


@list_group.command("add")
@click.argument("name")
@click.option("--seller", "seller_name", required=True)
@click.option("--note", default="")
@click.option("--expires", type=click.DateTime(), default=None, help="UTC date or date-time.")
@buyer_options
@click.pass_obj
@reports_errors
def list_add(
    settings: Settings,
    /,
    name: str,
    seller_name: str,
    note: str,
    expires: datetime | None,
    **ids: Any,
) -> None:
    """Put a buyer on one of the seller's lists."""
    expires_at = None if expires is None else expires.replace(tzinfo=now().tzinfo)
    with opened(settings) as db:
        who = seller_named(db, seller_name)
        entry_id = lists.put_entry(
            SqlUnitOfWork(db.sessions),
            name,
            buyer_from(ids),
            seller_id=who.id,
            note=note,
            expires_at=expires_at,
            secret=settings.identifier_secret(),
            now=now(),
        )
    click.echo(f"entry {entry_id} on list {name}")


@list_group.command("remove")
@click.argument("name")
@click.argument("entry_id", type=RowId())
@click.option("--seller", "seller_name", required=True)
@click.pass_obj
@reports_errors
def list_remove(settings: Settings, name: str, entry_id: int, seller_name: str) -> None:
    with opened(settings) as db:
        who = seller_named(db, seller_name)
        lists.remove_entry(SqlUnitOfWork(db.sessions), name, entry_id, seller_id=who.id)
    click.echo(f"entry {entry_id} removed from list {name}")


COMMANDS = (screen, policy, list_group)
