"""The web application factory: the composition root of everything reached over HTTP."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import TypeVar

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from buyerguard import __version__
from buyerguard.config import Settings, SettingsError, load_settings
from buyerguard.services import screening
from buyerguard.services.events import accept_together
from buyerguard.services.policies import BacktestBudget
from buyerguard.services.unit_of_work import UnitOfWork
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.secret_check import WrongSecretError, check_secret
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from buyerguard.web.api import (
    buyers,
    events,
    imports,
    integrations,
    links,
    lists,
    orders,
    policies,
    screenings,
    sellers,
    subscriptions,
    tags,
)
from buyerguard.web.api.events import EventsCommitter
from buyerguard.web.api.screenings import ScreeningCommitter
from buyerguard.web.dependencies import KeyCache
from buyerguard.web.errors import install_error_handlers
from buyerguard.web.group_commit import GroupCommitter
from buyerguard.web.middleware import BodyLimitMiddleware, MetricsMiddleware

Item = TypeVar("Item")
Result = TypeVar("Result")

DESCRIPTION = """A shared buyer-risk registry with order screening.

Authenticate with `Authorization: Bearer <api key>`. Every error has the shape
`{"error": {"code": "<stable_code>", "message": "<human text>"}}`."""


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    """Build the app; the database is opened here (or handed in by tests) and closed on shutdown."""
    db = database or open_database(settings.resolved_database_url())
    secret = settings.identifier_secret()
    try:
        check_secret(db, secret)
    except WrongSecretError as error:
        if database is None:
            db.dispose()
        raise SettingsError(f"{settings.secret_source()}: {error}") from None
    screenings_committer: ScreeningCommitter = _committer(
        db, partial(screening.screen_together, secret=secret), "buyerguard-screenings"
    )
    events_committer: EventsCommitter = _committer(
        db, partial(accept_together, secret=secret), "buyerguard-events"
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for committer in (screenings_committer, events_committer):
            committer.resume()
        yield
        for committer in (screenings_committer, events_committer):
            # Off the event loop: the writer threads finish what is queued first.
            await asyncio.to_thread(committer.stop)
        if database is None:
            db.dispose()

    app = FastAPI(
        title="buyerguard",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # A path with a slash too many is a 404 like any unknown path: the redirect Starlette
        # would answer has an empty body and an absolute Location built from the Host header.
        redirect_slashes=False,
    )
    app.state.database = db
    app.state.uow_factory = lambda: SqlUnitOfWork(db.sessions)
    app.state.identifier_secret = secret
    app.state.key_cache = KeyCache(settings.auth_cache_seconds)
    app.state.backtest_budget = BacktestBudget(
        settings.backtest_max_screenings, settings.backtest_seconds, time.monotonic
    )
    app.state.screenings = screenings_committer
    app.state.events = events_committer
    install_error_handlers(app)
    for module in (tags, buyers, orders, imports, sellers, screenings, policies, lists):
        app.include_router(module.router)
    for module in (events, integrations, subscriptions, links):
        app.include_router(module.router)
    app.include_router(links.merges_router)
    registry = CollectorRegistry()
    _add_operations(app, registry)
    app.add_middleware(MetricsMiddleware, registry=registry)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_body_bytes,
        overrides={
            "/v1/imports": settings.max_import_bytes,
            "/v1/events/import": settings.max_import_bytes,
        },
    )
    return app


def _committer(
    db: Database, run: Callable[[UnitOfWork, Sequence[Item]], list[Result]], name: str
) -> GroupCommitter[Item, Result]:
    """Requests of one kind arriving together are run in one transaction."""
    return GroupCommitter(
        lambda batch: run(SqlUnitOfWork(db.sessions), batch), threads=_writers(db), name=name
    )


def _writers(db: Database) -> int:
    # SQLite has one writer: more threads would only wait on its lock. PostgreSQL takes several.
    return 1 if db.is_sqlite else 4


def create_app_from_environment() -> FastAPI:
    """The app of one of several server processes (`buyerguard serve --workers N`, or
    `uvicorn --factory buyerguard.web.app:create_app_from_environment`): settings from the
    BUYERGUARD_* variables; the schema must be current (`buyerguard init`)."""
    app = create_app(load_settings())
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Keep what start-up built (modules, the app, compiled statements) out of the garbage
    collector's full passes: a server process lives with them to the end, and scanning them
    stopped every request for 40-120 ms a few times a minute under load."""
    gc.collect()
    gc.freeze()


def _add_operations(app: FastAPI, registry: CollectorRegistry) -> None:
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:  # no I/O: kept off the thread pool
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
