"""`buyerguard screen` and `policy` hold orders and policies to the API's rules, and answer in the
API's shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from buyerguard.cli import cli
from buyerguard.services import screening
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork


@pytest.fixture
def env(tmp_path: Path, database: Database) -> dict[str, str]:
    """The CLI against the test's own database (SQLite file or PostgreSQL), with one seller."""
    env = {
        "BUYERGUARD_DATA_DIR": str(tmp_path / "data"),
        "BUYERGUARD_SECRET_KEY": "cli-test-secret",
        "BUYERGUARD_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
    }
    assert invoke(env, "seller", "create", "Shop A").exit_code == 0
    return env


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def logged(database: Database) -> list[str]:
    found = screening.list_screenings(
        SqlUnitOfWork(database.sessions),
        seller_id=1,
        action=None,
        since=None,
        until=None,
        after_id=None,
        limit=10,
    )
    return [s.order.ref for s in found]


SCREEN = ("screen", "--seller", "Shop A", "--amount", "5", "--country", "DE", "--email", "a@b.cd")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--region", "r" * 101, "order.ship_to.region: at most 100 characters"),
        ("--postal-code", "1" * 33, "order.ship_to.postal_code: at most 32 characters"),
        ("--ref", "r" * 201, "order.ref: at most 200 characters"),
        ("--region", "a\x01b", "order.ship_to.region: character 2 is the control character"),
    ],
)
def test_screen_refuses_an_order_the_api_refuses_and_logs_nothing(
    env: dict[str, str], database: Database, option: str, value: str, message: str
) -> None:
    ref = () if option == "--ref" else ("--ref", "CLI-1")
    result = invoke(env, *SCREEN, *ref, option, value)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: invalid_order: {message}"), result.stderr
    assert logged(database) == []
    assert invoke(env, *SCREEN, "--ref", "CLI-2", "--region", "r" * 100).exit_code == 0
    assert logged(database) == ["CLI-2"]


def test_policy_set_refuses_a_list_name_no_list_can_have(
    env: dict[str, str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.txt"
    policy.write_text('decline if in_list("Block")\n')
    for command in ("set", "backtest"):
        result = invoke(env, "policy", command, str(policy), "--seller", "Shop A")
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(
            'error: invalid_policy: line 1, column 20: "Block" cannot name a list'
        ), result.stderr
    assert invoke(env, "policy", "show", "--seller", "Shop A").output.startswith("# version 0")


def test_policy_backtest_keeps_to_the_budget_in_the_settings(
    env: dict[str, str], tmp_path: Path
) -> None:
    for ref in ("BT-1", "BT-2", "BT-3"):
        assert invoke(env, *SCREEN, "--ref", ref).exit_code == 0
    draft = tmp_path / "draft.txt"
    draft.write_text("review\n")

    def report(**settings: str) -> dict[str, object]:
        result = invoke({**env, **settings}, "policy", "backtest", str(draft), "--seller", "Shop A")
        assert result.exit_code == 0, result.output
        found: dict[str, object] = json.loads(result.stdout)
        return {k: found[k] for k in ("replayed", "logged", "partial", "stopped_by")}

    assert report() == {"replayed": 3, "logged": 3, "partial": False, "stopped_by": None}
    assert report(BUYERGUARD_BACKTEST_MAX_SCREENINGS="2") == {
        "replayed": 2,
        "logged": 3,
        "partial": True,
        "stopped_by": "max_screenings",
    }
    # Up before the log is even read: nothing is replayed, and the report says so.
    assert report(BUYERGUARD_BACKTEST_SECONDS="1e-9") == {
        "replayed": 0,
        "logged": 3,
        "partial": True,
        "stopped_by": "time_budget",
    }
    refused = invoke(
        {**env, "BUYERGUARD_BACKTEST_SECONDS": "0"}, "policy", "show", "--seller", "Shop A"
    )
    assert refused.exit_code == 1
    assert "BUYERGUARD_BACKTEST_SECONDS" in refused.output


def test_screen_file_answers_each_line_in_the_shape_of_the_batch_route(
    env: dict[str, str], tmp_path: Path
) -> None:
    order = {
        "ref": "F1",
        "amount": 5,
        "currency": "EUR",
        "payment_method": "prepaid",
        "ship_to": {"country": "DE"},
    }
    lines = [
        {"order": order, "buyer": {"email": "f1@example.com"}},
        {"order": {**order, "ref": "F2"}, "buyer": {"email": "not an email"}},
        {
            "order": {**order, "ref": "F3", "ship_to": {"country": "DE", "region": "r" * 101}},
            "buyer": {"email": "f3@example.com"},
        },
        ["not", "an", "object"],
    ]
    batch = tmp_path / "orders.jsonl"
    batch.write_text("\n".join(json.dumps(line) for line in lines))
    result = invoke(env, "screen", "--seller", "Shop A", "--file", str(batch))
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [sorted(a) for a in answers] == [["error", "line", "result"]] * 4
    assert answers[0]["error"] is None
    assert answers[0]["result"]["decision"] == "ship"
    assert [a["result"] for a in answers[1:]] == [None] * 3
    assert [a["error"] for a in answers[1:]] == [
        {
            "code": "invalid_identifier",
            "field": "email",
            "message": "email: not an email address: 'not an email'",
        },
        {
            "code": "invalid_order",
            "field": "order.ship_to.region",
            "message": "order.ship_to.region: at most 100 characters",
        },
        {
            "code": "invalid_input",
            "message": 'not a screening request: a line is a JSON object {"order": {...}, '
            '"buyer": {...}}',
        },
    ]


@pytest.mark.parametrize(
    "options",
    [
        ["--ref", "X1"],
        ["--amount", "5"],
        ["--currency", "EUR"],
        ["--country", "DE", "--email", "a@b.cd"],
        ["--payment-method", "cod"],
        ["--region", "Bavaria"],
        ["--postal-code", "80331"],
    ],
)
def test_screen_file_refuses_the_options_of_one_order(
    env: dict[str, str], database: Database, tmp_path: Path, options: list[str]
) -> None:
    batch = tmp_path / "orders.jsonl"
    batch.write_text("")
    result = invoke(env, "screen", "--seller", "Shop A", "--file", str(batch), *options)
    assert result.exit_code == 2, result.output
    named = ", ".join(o for o in options if o.startswith("--"))
    assert f"{named}: not with --file, whose lines give each order and buyer" in result.stderr
    assert logged(database) == []


def test_policy_show_json_lists_the_rules_as_the_api_does(
    env: dict[str, str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.txt"
    policy.write_text('# mine\ndecline if level == "high"\n\nship\n')
    assert invoke(env, "policy", "set", str(policy), "--seller", "Shop A").exit_code == 0
    shown = json.loads(invoke(env, "policy", "show", "--seller", "Shop A", "--json").stdout)
    assert shown["rules"] == [
        {"line": 2, "action": "decline", "condition": 'level == "high"'},
        {"line": 4, "action": "ship", "condition": None},
    ]
