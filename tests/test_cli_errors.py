"""Mistakes a user can put right (a setting, a file, the database's address) end a command with one
line on stderr naming what to fix, and exit code 1: never a traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner

from buyerguard.cli import cli
from buyerguard.storage.database import Database


@dataclass
class Failing:
    runner: CliRunner
    env: dict[str, str | None]

    def __call__(self, *args: str, **env: str | None) -> str:
        """The one line a command that must fail printed."""
        result = self.runner.invoke(cli, list(args), env={**self.env, **env})
        assert isinstance(result.exception, SystemExit), result.exc_info
        assert result.exit_code == 1, result.output
        [line] = result.stderr.splitlines()
        assert line.startswith("error: ")
        return line


@pytest.fixture
def fails(tmp_path: Path, database: Database) -> Failing:
    env: dict[str, str | None] = {
        "BUYERGUARD_DATA_DIR": str(tmp_path / "data"),
        "BUYERGUARD_SECRET_KEY": "cli-test-secret",
        "BUYERGUARD_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
    }
    return Failing(CliRunner(), env)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENVIRONMENT", "staging", "BUYERGUARD_ENVIRONMENT: Input should be 'development'"),
        ("PORT", "abc", "BUYERGUARD_PORT: Input should be a valid integer"),
        ("MAX_IMPORT_BYTES", "abc", "BUYERGUARD_MAX_IMPORT_BYTES: Input should be a valid integer"),
        ("AUTH_CACHE_SECONDS", "-1", "BUYERGUARD_AUTH_CACHE_SECONDS: Input should be greater"),
        ("SCREENING_RETENTION_DAYS", "0", "BUYERGUARD_SCREENING_RETENTION_DAYS: Input should be"),
        ("ENVIRONMENT", "production", "production needs BUYERGUARD_SECRET_KEY of at least 32"),
        ("PORT", "-1", "BUYERGUARD_PORT: Input should be greater than or equal to 1"),
        ("PORT", "70000", "BUYERGUARD_PORT: Input should be less than or equal to 65535"),
        ("MAX_BODY_BYTES", "-5", "BUYERGUARD_MAX_BODY_BYTES: Input should be greater"),
        ("MAX_IMPORT_BYTES", "0", "BUYERGUARD_MAX_IMPORT_BYTES: Input should be greater"),
    ],
)
def test_a_bad_setting_is_named(fails: Failing, name: str, value: str, message: str) -> None:
    line = fails("init", **{f"BUYERGUARD_{name}": value})
    assert message in line
    assert "cli-test-secret" not in line


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("notaurl", "not a database URL"),
        ("mysql://user:hunter2@localhost/db", "mysql://user:***@localhost/db: its driver is not"),
        ("nosuch://user@localhost/db", "no such kind of database"),
        ("postgresql+psycopg://user:hunter2@127.0.0.1:1/db", "user:***@127.0.0.1:1/db: connection"),
    ],
)
def test_a_database_that_cannot_be_opened_is_named(
    fails: Failing, tmp_path: Path, url: str, message: str
) -> None:
    url = url.format(tmp=tmp_path)
    for command in (["init"], ["lookup", "--seller", "Shop", "--email", "a@example.com"]):
        line = fails(*command, BUYERGUARD_DATABASE_URL=url)
        assert line.startswith("error: BUYERGUARD_DATABASE_URL: ")
        assert message in line
        assert "hunter2" not in line


def test_init_names_an_sqlite_file_it_cannot_open(fails: Failing, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/buyerguard.db"
    line = fails("init", BUYERGUARD_DATABASE_URL=url)
    assert line == f"error: BUYERGUARD_DATABASE_URL: {url}: unable to open database file"


RUN_INIT = "create it with `buyerguard init`"
NOT_CREATING = [
    ["lookup", "--seller", "Shop", "--email", "a@example.com"],
    ["tag", "--seller", "Shop", "--reason", "other", "--email", "a@example.com"],
    ["seller", "create", "Shop"],
    ["screen", "--seller", "Shop", "--ref", "SO-1", "--amount", "40", "--email", "a@example.com"],
    ["policy", "show", "--seller", "Shop"],
    ["jobs", "run-once", "expire-old-tags"],
    ["serve", "--no-jobs"],
]


@pytest.mark.parametrize("command", NOT_CREATING, ids=lambda command: " ".join(command[:2]))
def test_a_mistyped_data_directory_is_not_made_into_a_new_registry(
    fails: Failing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # a server would not end
    typo = tmp_path / "typo"
    line = fails(*command, BUYERGUARD_DATA_DIR=str(typo), BUYERGUARD_DATABASE_URL=None)
    assert (
        line == f"error: BUYERGUARD_DATA_DIR: no database at {typo / 'buyerguard.db'}; {RUN_INIT}"
    )
    assert not typo.exists()


def test_a_missing_sqlite_file_named_by_url_is_not_created(fails: Failing, tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    line = fails(*NOT_CREATING[0], BUYERGUARD_DATABASE_URL=f"sqlite:///{path}")
    assert line == f"error: BUYERGUARD_DATABASE_URL: no database at {path}; {RUN_INIT}"
    assert not path.exists()


DIFFERS = "the secret key differs from the one the registry was built with"


def test_another_secret_key_is_refused_rather_than_finding_nobody(fails: Failing) -> None:
    assert fails.runner.invoke(cli, ["demo"], env=fails.env).exit_code == 0
    case_study = ["--seller", "Demo Shop", "--email", "case.study@example.com"]
    line = fails("lookup", *case_study, BUYERGUARD_SECRET_KEY="another-secret")
    assert line.startswith(f"error: BUYERGUARD_SECRET_KEY: {DIFFERS}")
    assert "another-secret" not in line
    found = fails.runner.invoke(cli, ["lookup", *case_study], env=fails.env)
    assert found.stdout.startswith("Flagged by 23 sellers")


def test_a_replaced_key_file_is_named(
    fails: Failing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # a server would not end
    from_file = {**fails.env, "BUYERGUARD_SECRET_KEY": None}
    assert fails.runner.invoke(cli, ["init"], env=from_file).exit_code == 0
    key = tmp_path / "data" / "secret.key"
    key.write_text("0" * 64)
    for command in (["seller", "create", "Shop"], ["serve", "--no-jobs"]):
        line = fails(*command, BUYERGUARD_SECRET_KEY=None)
        assert line.startswith(f"error: {key}: {DIFFERS}")


@pytest.mark.parametrize("secret", ["cli-test-secret", None], ids=["key given", "key file"])
def test_a_data_directory_that_is_a_file_is_named(
    fails: Failing, tmp_path: Path, secret: str | None
) -> None:
    (tmp_path / "file").write_text("")
    line = fails("init", BUYERGUARD_DATA_DIR=str(tmp_path / "file"), BUYERGUARD_SECRET_KEY=secret)
    assert line == f"error: BUYERGUARD_DATA_DIR {tmp_path / 'file'}: not a directory"


def test_an_emptied_key_file_is_named(fails: Failing, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret.key").write_text("")
    line = fails("demo", BUYERGUARD_SECRET_KEY=None)
    assert line.startswith(f"error: {tmp_path / 'data' / 'secret.key'} is empty")


def _not_utf8(path: Path, good: bytes) -> Path:
    """Two good lines, the second long (text is decoded in chunks), then one that is not UTF-8."""
    path.write_bytes(good + b"\n" + good + b" " * 20_000 + b"\n" + b'"caf\xe9"\n')
    return path


@pytest.mark.parametrize(
    ("command", "name", "good"),
    [
        (["events", "import"], "events.jsonl", b"{}"),
        (["events", "import"], "events.csv", b"type,order_ref"),
        (["policy", "set"], "policy.txt", b"# mine"),
        (["policy", "backtest"], "draft.txt", b"# mine"),
    ],
)
def test_a_file_that_is_not_utf8_is_named_with_its_line(
    fails: Failing, tmp_path: Path, command: list[str], name: str, good: bytes
) -> None:
    fails.runner.invoke(cli, ["seller", "create", "Shop"], env=fails.env)
    path = _not_utf8(tmp_path / name, good)
    line = fails(*command, str(path), "--seller", "Shop")
    assert line == f"error: {path}, line 3: not UTF-8 text"


def test_an_import_names_every_line_that_is_not_utf8(fails: Failing, tmp_path: Path) -> None:
    fails.runner.invoke(cli, ["seller", "create", "Shop"], env=fails.env)
    good = b'{"type": "tag", "buyer": {"email": "a@example.com"}, "reason": "other"}'
    path = tmp_path / "tags.jsonl"
    path.write_bytes(b"\n".join([good, b'"caf\xe9"', good, b"\xef\xbb\xbf" + good, b"\xff"]))
    line = fails("import", str(path), "--seller", "Shop")
    assert line == (
        "error: invalid_import: 3 bad line(s), nothing imported: line 2: not UTF-8 text; "
        "line 4: a byte-order mark (U+FEFF) may only start the first line; "
        "line 5: not UTF-8 text"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["untag", "{id}", "--seller", "Shop"],
        ["list", "remove", "block", "{id}", "--seller", "Shop"],
        ["alerts", "replay", "{id}"],
        ["seller", "revoke-keys", "Shop", "--key", "{id}"],
    ],
)
@pytest.mark.parametrize("value", ["99999999999999999999999", "9223372036854775808", "0", "1.0"])
def test_an_id_out_of_the_databases_range_is_one_error_line(
    fails: Failing, command: list[str], value: str
) -> None:
    fails.runner.invoke(cli, ["seller", "create", "Shop"], env=fails.env)
    line = fails(*(part.format(id=value) for part in command))
    assert line.endswith(f"expected a whole number from 1 to 9223372036854775807, not '{value}'")


def test_the_largest_id_is_looked_up(fails: Failing) -> None:
    fails.runner.invoke(cli, ["seller", "create", "Shop"], env=fails.env)
    line = fails("untag", "9223372036854775807", "--seller", "Shop")
    assert line.startswith("error: tag_not_found: ")


@pytest.mark.parametrize("value", ["null", '"1000"', "10.5"])
def test_a_simulation_parameter_that_is_not_a_number_is_named(fails: Failing, value: str) -> None:
    assert "buyers must be a whole number" in fails("simulate", "--set", f"buyers={value}")


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_serve_refuses_a_port_out_of_range(
    fails: Failing, monkeypatch: pytest.MonkeyPatch, port: str
) -> None:
    served: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.append(kwargs))
    result = fails.runner.invoke(cli, ["serve", "--no-jobs", "--port", port], env=fails.env)
    assert result.exit_code == 2
    assert "not in the range 1<=x<=65535" in result.stderr
    assert not served


@pytest.mark.parametrize("days", ["0", "-1", "3651", "99999999999"])
def test_backtest_refuses_days_out_of_range(fails: Failing, tmp_path: Path, days: str) -> None:
    fails.runner.invoke(cli, ["seller", "create", "Shop"], env=fails.env)
    draft = tmp_path / "draft.txt"
    draft.write_text("ship\n")
    command = ["policy", "backtest", str(draft), "--seller", "Shop", "--days", days]
    result = fails.runner.invoke(cli, command, env=fails.env)
    assert result.exit_code == 2
    assert "not in the range 1<=x<=3650" in result.stderr
    within = fails.runner.invoke(cli, [*command[:-1], "3650"], env=fails.env)
    assert json.loads(within.stdout)["replayed"] == 0
