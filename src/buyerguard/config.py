"""Settings, from BUYERGUARD_* environment variables; read only by the composition roots."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE = "secret.key"


class SettingsError(ValueError):
    """A setting, or the data directory it names, cannot be used; the message says which."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUYERGUARD_", extra="forbid")

    environment: Literal["development", "production", "test"] = Field(
        "development", description="`production` refuses unsafe defaults."
    )
    data_dir: Path = Field(
        Path("data"),
        description="Directory for the embedded SQLite database and the generated secret key. "
        "`buyerguard init` (or `demo`) creates the database; other commands refuse to run "
        "without it.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`; "
        "default: SQLite file `buyerguard.db` in the data directory.",
    )
    secret_key: str | None = Field(
        None,
        description="Key of the identifier hashes (HMAC-SHA256). Default: generated on first run "
        "and kept in `secret.key` in the data directory, never in the database, which keeps only "
        "a check value: given another key, commands and the server refuse to run.",
    )
    host: str = Field("127.0.0.1", description="Address `buyerguard serve` listens on.")
    port: int = Field(
        8000, ge=1, le=65535, description="Port `buyerguard serve` listens on, 1 to 65535."
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1, description="Largest request body accepted (413 above), at least 1."
    )
    max_import_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1,
        description="Largest body accepted by `POST /v1/imports`, at least 1.",
    )

    auth_cache_seconds: float = Field(
        10.0,
        ge=0,
        description="Seconds a server process remembers a good API key (0: ask the database "
        "on every request). A key revoked through the API is refused at once by the process "
        "that revoked it; another process (another worker, a server when `buyerguard seller "
        "revoke-keys` revoked it) may accept it for up to this long, and a change of a seller's "
        "role or trust reaches requests within this time.",
    )
    screening_retention_days: int = Field(
        730, ge=1, description="Days a screening decision is kept in the decision log."
    )
    backtest_max_screenings: int = Field(
        10_000,
        ge=1,
        description="Most logged screenings a policy backtest replays, the newest first; the "
        "report says how many it replayed of how many.",
    )
    backtest_seconds: float = Field(
        10.0,
        gt=0,
        description="Seconds a policy backtest may run; then it stops and reports what it "
        "replayed so far, marked partial.",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key is None or len(self.secret_key) < 32:
                raise ValueError("production needs BUYERGUARD_SECRET_KEY of at least 32 characters")
            if self.resolved_database_url().startswith("sqlite") and self.host != "127.0.0.1":
                raise ValueError("production on the network needs BUYERGUARD_DATABASE_URL")
        return self

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'buyerguard.db'}"

    def prepared_data_dir(self) -> Path:
        """The data directory, made if it does not exist yet."""
        where = f"BUYERGUARD_DATA_DIR {self.data_dir}"
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise SettingsError(f"{where}: not a directory") from None
        except OSError as error:
            raise SettingsError(f"{where}: {error.strerror or error}") from None
        return self.data_dir

    def secret_source(self) -> str:
        """Where the identifier secret comes from, to name it in a message."""
        return "BUYERGUARD_SECRET_KEY" if self.secret_key else str(self.data_dir / SECRET_FILE)

    def identifier_secret(self) -> bytes:
        """The HMAC key of identifiers: given, or generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / SECRET_FILE
        try:
            if not path.exists():
                self.prepared_data_dir()
                _create_secret(path)
            secret = path.read_text().strip()
        except OSError as error:
            raise SettingsError(f"{path}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise SettingsError(f"{path} is not a key buyerguard wrote: restore it") from None
        if not secret:
            raise SettingsError(
                f"{path} is empty: restore it, or remove it only if the data is new"
            )
        return secret.encode()


def _create_secret(path: Path) -> None:
    """Written whole under another name, then linked into place: of server processes starting
    together, exactly one key wins and every process reads it complete (two keys would hash the
    same email two ways, and split buyers silently)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process was first: its key stands
    finally:
        draft.unlink()


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(_described(error)) from None


def _described(error: ValidationError) -> str:
    """Each problem on one line, naming its variable; values are not shown (they may be secret)."""
    problems = []
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        field = problem["loc"][0] if problem["loc"] else None
        problems.append(message if field is None else f"BUYERGUARD_{str(field).upper()}: {message}")
    return "; ".join(problems)
