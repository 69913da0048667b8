"""The web application factory: the composition root of everything reached over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from buyerguard import __version__
from buyerguard.config import Settings
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from buyerguard.web.api import (
    buyers,
    events,
    imports,
    integrations,
    lists,
    orders,
    policies,
    screenings,
    sellers,
    subscriptions,
    tags,
)
from buyerguard.web.errors import install_error_handlers
from buyerguard.web.middleware import BodyLimitMiddleware, MetricsMiddleware

DESCRIPTION = """A shared buyer-risk registry with order screening.

Authenticate with `Authorization: Bearer <api key>`. Every error has the shape
`{"error": {"code": "<stable_code>", "message": "<human text>"}}`."""


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    """Build the app; the database is opened here (or handed in by tests) and closed on shutdown."""
    db = database or open_database(settings.resolved_database_url())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            db.dispose()

    app = FastAPI(
        title="buyerguard", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.database = db
    app.state.uow_factory = lambda: SqlUnitOfWork(db.sessions)
    app.state.identifier_secret = settings.identifier_secret()
    install_error_handlers(app)
    for module in (tags, buyers, orders, imports, sellers, screenings, policies, lists):
        app.include_router(module.router)
    for module in (events, integrations, subscriptions):
        app.include_router(module.router)
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


def _add_operations(app: FastAPI, registry: CollectorRegistry) -> None:
    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
