"""`buyerguard seller`: creating sellers, their names, their keys, listing them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from buyerguard.cli import cli
from buyerguard.storage.database import Database
from tests.test_cli import Cli


@pytest.fixture
def run(tmp_path: Path, database: Database) -> Cli:
    env = {
        "BUYERGUARD_DATA_DIR": str(tmp_path / "data"),
        "BUYERGUARD_SECRET_KEY": "cli-test-secret",
        "BUYERGUARD_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
    }
    return Cli(CliRunner(), env)


def failure(run: Cli, *args: str) -> str:
    result = run.runner.invoke(cli, list(args), env=run.env)
    assert result.exit_code == 1, result.output
    return result.stderr


@pytest.mark.parametrize("name", ["Café Müller", "Ünïcødé 店"])
def test_a_seller_of_any_script_is_created_and_found_by_name_in_any_case(
    run: Cli, name: str
) -> None:
    assert run("seller", "create", name).startswith("seller 1 created; API key: bg_")
    for number, typed in enumerate([name, name.upper(), f" {name.lower()} "]):
        email = f"b{number}@example.com"
        tagged = run("tag", "--seller", typed, "--reason", "other", "--email", email)
        assert tagged.startswith("tag")


def test_a_name_differing_in_case_only_is_taken(run: Cli) -> None:
    run("seller", "create", "Demo Shop")
    assert failure(run, "seller", "create", "demo shop") == (
        "error: seller_exists: a seller named 'Demo Shop' exists already\n"
    )
