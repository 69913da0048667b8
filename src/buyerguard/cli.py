"""The `buyerguard` command: operators' and scripts' way in, and a composition root."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from buyerguard import jobs as background
from buyerguard.config import Settings, load_settings
from buyerguard.domain.errors import BuyerGuardError
from buyerguard.domain.profiles import Profile
from buyerguard.domain.sellers import Role, Seller
from buyerguard.domain.tags import NewTag
from buyerguard.evaluation import bitcoin_alpha, simulator
from buyerguard.evaluation import evaluate as evaluation
from buyerguard.services import buyers, demo, imports, sellers, tags
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.schema import upgrade
from buyerguard.storage.unit_of_work import SqlUnitOfWork

F = TypeVar("F", bound=Callable[..., Any])
IDENTIFIER_OPTIONS = (
    "platform_buyer_id",
    "email",
    "phone",
    "shipping_address",
    "payment_fingerprint",
)


def now() -> datetime:
    return datetime.now(UTC)


def reports_errors(command: F) -> F:
    """Domain errors print their message to stderr and exit 1, as the error table says."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BuyerGuardError as error:
            click.echo(f"error: {error.code}: {error.message}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]  # wraps keeps the signature click reads


def buyer_options(command: F) -> F:
    for name in reversed(IDENTIFIER_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, default=None)(command)
    return command


def buyer_from(options: dict[str, Any]) -> dict[str, object]:
    return {k: options[k] for k in IDENTIFIER_OPTIONS if options.get(k) is not None}


@contextmanager
def opened(settings: Settings) -> Iterator[Database]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(settings.resolved_database_url())
    try:
        upgrade(database)
        yield database
    finally:
        database.dispose()


def emit(data: Any, *, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


@click.group()
@click.version_option(package_name="buyerguard")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """buyerguard: a shared buyer-risk registry with order screening."""
    ctx.obj = load_settings()


@cli.command()
@click.pass_obj
def init(settings: Settings) -> None:
    """Create or upgrade the database and the secret key."""
    settings.identifier_secret()
    with opened(settings):
        click.echo(f"database ready: {settings.resolved_database_url()}")


@cli.command()
@click.option("--host", default=None, help="Default: BUYERGUARD_HOST or 127.0.0.1.")
@click.option("--port", default=None, type=int, help="Default: BUYERGUARD_PORT or 8000.")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the API and the console (the database is upgraded first)."""
    import uvicorn

    from buyerguard.web.app import create_app

    with opened(settings) as database:
        app = create_app(settings, database=database)
        click.echo(
            f"serving on http://{host or settings.host}:{port or settings.port} (API docs at /docs)"
        )
        uvicorn.run(
            app, host=host or settings.host, port=port or settings.port, log_level="warning"
        )


@cli.group()
def seller() -> None:
    """Manage sellers."""


@seller.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="An operator's key: may name sellers in imports.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@reports_errors
def seller_create(settings: Settings, name: str, admin: bool, as_json: bool) -> None:
    """Create a seller and print its API key (shown once)."""
    with opened(settings) as db:
        role = Role.ADMIN if admin else Role.SELLER
        created = sellers.create_seller(SqlUnitOfWork(db.sessions), name, role=role, now=now())
    data = {"seller_id": created.seller.id, "api_key": created.api_key}
    emit(
        data,
        as_json=as_json,
        text=f"seller {created.seller.id} created; API key: {created.api_key}",
    )


def _seller_named(db: Database, name: str) -> Seller:
    with SqlUnitOfWork(db.sessions) as uow:
        found = uow.sellers.find_by_name(name)
    if found is None:
        raise click.BadParameter(f"no seller named {name!r}", param_hint="--seller")
    return found


@cli.command("tag")
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
        who = _seller_named(db, seller_name)
        new = NewTag(seller_id=who.id, reason=reason, note=note, order_ref=order_ref)
        tag_id = tags.add_tag(
            SqlUnitOfWork(db.sessions),
            buyer_from(ids),
            new,
            secret=settings.identifier_secret(),
            now=now(),
        )
    emit({"id": tag_id}, as_json=as_json, text=f"tag {tag_id} added")


@cli.command("untag")
@click.argument("tag_id", type=int)
@click.option("--seller", "seller_name", required=True)
@click.pass_obj
@reports_errors
def untag(settings: Settings, tag_id: int, seller_name: str) -> None:
    """Retract one of a seller's tags."""
    with opened(settings) as db:
        who = _seller_named(db, seller_name)
        tags.retract_tag(SqlUnitOfWork(db.sessions), tag_id, seller_id=who.id, now=now())
    click.echo(f"tag {tag_id} retracted")


@cli.command("lookup")
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
        who = _seller_named(db, seller_name)
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


def _sellers(count: int) -> str:
    return f"{count:>3} seller" + ("" if count == 1 else "s")


def profile_text(profile: Profile) -> str:
    risk = profile.risk
    lines = [
        f"Flagged by {profile.distinct_reporters} sellers    risk: {risk.level} ({risk.score:.2f})"
    ]
    for tag in profile.my_tags:
        lines.append(f"  My own tag:     {tag.reason}  {tag.note}".rstrip())
    for line in profile.reasons:
        if line.sellers:
            lines.append(f"  Other sellers:  {line.label:<60} {_sellers(line.sellers)}")
    lines.append(f"  Completed orders without problems: {profile.clean_sellers} sellers")
    for c in risk.contributions:
        lines.append(f"  - {c.explanation}")
    return "\n".join(lines)


@cli.command("import")
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
    with opened(settings) as db, file.open(encoding="utf-8") as lines:
        who = _seller_named(db, seller_name)
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
        text=f"imported {result.tags} tags, {result.completed_orders} completed orders; "
        f"{result.duplicates} duplicates",
    )


@cli.command("demo")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def demo_command(settings: Settings, as_json: bool) -> None:
    """Load the demo data (once) and print a key of the demo seller."""
    with opened(settings) as db:
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


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--set")
        try:
            values[name] = json.loads(raw)
        except json.JSONDecodeError:
            raise click.BadParameter(f"{name}: not a number: {raw!r}", param_hint="--set") from None
    return values


@cli.command("simulate")
@click.option("--seed", default=0, type=int, show_default=True)
@click.option(
    "--set", "pairs", multiple=True, help="A simulation parameter, e.g. --set buyers=1000."
)
@reports_errors
def simulate_command(seed: int, pairs: tuple[str, ...]) -> None:
    """Simulate a marketplace (JSON): honest and bad buyers, honest and malicious sellers."""
    click.echo(json.dumps(simulator.simulate_json(seed=seed, **_params(pairs))))


@cli.command("evaluate")
@click.option(
    "--dataset",
    type=click.Choice(["simulated", *bitcoin_alpha.CONDITIONS]),
    default="simulated",
    show_default=True,
    help="The simulator, or a Bitcoin Alpha condition (BUYERGUARD_BITCOIN_ALPHA_DIR).",
)
@click.option("--seed", default=1, type=int, show_default=True)
@click.option(
    "--set",
    "pairs",
    multiple=True,
    help="A simulation parameter, e.g. --set malicious_seller_share=0.2.",
)
@reports_errors
def evaluate_command(dataset: str, seed: int, pairs: tuple[str, ...]) -> None:
    """Score a dataset with the risk model and the naive baselines; prints JSON.

    `make bench-risk` runs the whole table (every condition) into bench/results/.
    """
    if dataset == "simulated":
        market = simulator.simulate(simulator.params_from(**_params(pairs)), seed)
    else:
        market = bitcoin_alpha.condition(bitcoin_alpha.load(), dataset)
    click.echo(json.dumps(asdict(evaluation.evaluate(market)), indent=2))


@cli.group()
def jobs() -> None:
    """Background jobs (expiry, trust recomputation)."""


@jobs.command("run")
@click.pass_obj
def jobs_run(settings: Settings) -> None:
    """Run every job on its schedule, until stopped."""
    with opened(settings) as db:
        background.run_forever(SqlUnitOfWork(db.sessions))


@jobs.command("run-once")
@click.argument("name", type=click.Choice(sorted(background.JOBS_BY_NAME)))
@click.pass_obj
def jobs_run_once(settings: Settings, name: str) -> None:
    """Run one job now (for cron and tests)."""
    with opened(settings) as db:
        result = background.run_once(name, SqlUnitOfWork(db.sessions), now=now())
    click.echo(f"{name}: {result}")


def main() -> None:
    cli()
