"""The application factory `uvicorn --factory` needs for several workers (bench/screening_http.py).

`buyerguard serve` runs one uvicorn process; for `--workers N` uvicorn must import the application
in each worker, so `app` builds it the way `serve` does: settings from the BUYERGUARD_* variables,
the database opened once per process (its schema must be current).

    BUYERGUARD_DATA_DIR=... BUYERGUARD_SECRET_KEY=... .venv/bin/uvicorn --app-dir bench \\
        --factory _screening_app:app --workers 2 --port 8000

bench/_screening_app_fast.py holds a what-if variant (not shipped code).
"""

from __future__ import annotations

from fastapi import FastAPI

from buyerguard.config import load_settings
from buyerguard.storage.database import open_database
from buyerguard.storage.schema import is_current
from buyerguard.web.app import create_app


def app() -> FastAPI:
    settings = load_settings()
    database = open_database(settings.resolved_database_url())
    if not is_current(database):
        raise SystemExit("the database schema is not current: run `buyerguard serve` or `init`")
    return create_app(settings, database=database)
