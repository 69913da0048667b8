"""Running the service: create the database, serve, and run the background jobs."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import click

from buyerguard import jobs as background
from buyerguard.cli.common import now, opened
from buyerguard.config import Settings
from buyerguard.storage.database import reopened
from buyerguard.storage.unit_of_work import SqlUnitOfWork


@click.command()
@click.pass_obj
def init(settings: Settings) -> None:
    """Create or upgrade the database and the secret key."""
    settings.identifier_secret()
    with opened(settings, create=True):
        click.echo(f"database ready: {settings.resolved_database_url()}")


@click.command()
@click.option("--host", default=None, help="Default: BUYERGUARD_HOST or 127.0.0.1.")
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="Default: BUYERGUARD_PORT or 8000."
)
@click.option(
    "--jobs/--no-jobs",
    "with_jobs",
    default=True,
    show_default=True,
    help="Also run the background jobs in this process (events, alerts, expiry, trust); "
    "use --no-jobs when `buyerguard jobs run` runs elsewhere.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes; one a CPU core serves the most requests (the jobs still run once).",
)
@click.pass_obj
def serve(
    settings: Settings, host: str | None, port: int | None, with_jobs: bool, workers: int
) -> None:
    """Serve the API (the database is upgraded first), with the background jobs by default."""
    import uvicorn

    from buyerguard.web.app import create_app, freeze_startup_objects

    settings.identifier_secret()  # created here, once, before any worker process reads it

    with opened(settings) as database, ExitStack() as stack:
        if with_jobs:
            # Connections of their own: between batches the jobs let others write first when
            # they see others' writes, which a connection shared with requests would hide.
            jobs_database = reopened(database)
            if jobs_database is not database:
                stack.callback(jobs_database.dispose)
            runner = threading.Thread(
                target=background.run_forever,
                args=(SqlUnitOfWork(jobs_database.sessions),),
                kwargs={"settings": settings},
                name="buyerguard-jobs",
                daemon=True,  # ends with the server
            )
            runner.start()
        bind_host = settings.host if host is None else host
        bind_port = settings.port if port is None else port
        click.echo(f"serving on http://{bind_host}:{bind_port} (API docs at /docs)")
        if workers == 1:
            app = create_app(settings, database=database)
            freeze_startup_objects()
            uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning")
            return
        # Each worker process builds its own app from the same BUYERGUARD_* settings.
        uvicorn.run(
            "buyerguard.web.app:create_app_from_environment",
            factory=True,
            workers=workers,
            host=bind_host,
            port=bind_port,
            log_level="warning",
        )


@click.group()
def jobs() -> None:
    """Background jobs (expiry, trust recomputation)."""


@jobs.command("run")
@click.pass_obj
def jobs_run(settings: Settings) -> None:
    """Run every job on its schedule, until stopped."""
    with opened(settings) as db:
        background.run_forever(SqlUnitOfWork(db.sessions), settings=settings)


@jobs.command("run-once")
@click.argument("name", type=click.Choice(sorted(background.JOB_NAMES)))
@click.pass_obj
def jobs_run_once(settings: Settings, name: str) -> None:
    """Run one job now (for cron and tests)."""
    with opened(settings) as db:
        result = background.run_once(name, SqlUnitOfWork(db.sessions), settings=settings, now=now())
    click.echo(f"{name}: {result}")


COMMANDS = (init, serve, jobs)
