from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from buyerguard.cli import cli
from buyerguard.config import Settings
from buyerguard.domain.sellers import Seller
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.unit_of_work import SqlUnitOfWork


@dataclass
class Cli:
    runner: CliRunner
    env: dict[str, str]

    def __call__(self, *args: str) -> str:
        result = self.runner.invoke(cli, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    def failure(self, *args: str) -> str:
        """What a command that must fail with a user's error (exit 1) printed on stderr."""
        result = self.runner.invoke(cli, list(args), env=self.env)
        assert result.exit_code == 1, result.output
        return result.stderr


@pytest.fixture
def run(tmp_path: Path, database: Database) -> Cli:
    """The CLI against the test's own database (SQLite file or PostgreSQL) and data directory."""
    env = {
        "BUYERGUARD_DATA_DIR": str(tmp_path / "data"),
        "BUYERGUARD_SECRET_KEY": "cli-test-secret",
        "BUYERGUARD_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
    }
    return Cli(CliRunner(), env)


def test_demo_tells_the_case_study(run: Cli) -> None:
    demo = json.loads(run("demo", "--json"))
    assert demo["api_key"].startswith("bg_")
    buyer = demo["case_study_buyer"]
    profile = json.loads(
        run("lookup", "--seller", "Demo Shop", "--email", buyer["email"], "--json")
    )
    assert profile["distinct_reporters"] == 23
    community = {r["reason"]: r["sellers"] for r in profile["reasons"]}
    assert community == {"extortion": 13, "frequent_returns": 8, "other": 1}
    assert [t["reason"] for t in profile["my_tags"]] == ["frequent_returns"]
    assert profile["clean_sellers"] == 3
    text = run("lookup", "--seller", "Demo Shop", "--platform-buyer-id", buyer["platform_buyer_id"])
    assert "Flagged by 23 sellers" in text
    again = json.loads(run("demo", "--json"))
    assert again["api_key"] != demo["api_key"]


@pytest.mark.parametrize("steps", [["init", "demo"], ["demo"]], ids=["make run", "demo alone"])
def test_init_and_demo_create_the_registry_in_a_fresh_data_directory(
    tmp_path: Path, steps: list[str]
) -> None:
    fresh = Cli(CliRunner(), {"BUYERGUARD_DATA_DIR": str(tmp_path / "fresh")})
    for step in steps:
        fresh(step)
    assert (tmp_path / "fresh" / "buyerguard.db").is_file()
    text = fresh("lookup", "--seller", "Demo Shop", "--email", "case.study@example.com")
    assert text.startswith("Flagged by 23 sellers")


def test_demo_refuses_a_database_using_its_sellers_names(run: Cli) -> None:
    run("seller", "create", "Community Seller 01")
    result = run.runner.invoke(cli, ["demo"], env=run.env)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: seller_exists: the demo brings its own sellers")
    assert [s.name for s in _sellers(run)] == ["Community Seller 01"]


def test_seller_tag_lookup_untag(run: Cli) -> None:
    created = json.loads(run("seller", "create", "Shop A", "--json"))
    assert created["api_key"].startswith("bg_")
    run("seller", "create", "Shop B")
    tag = json.loads(
        run(
            "tag",
            "--seller",
            "Shop A",
            "--reason",
            "cod_refusal",
            "--phone",
            "+8801712345678",
            "--json",
        )
    )
    seen = json.loads(run("lookup", "--seller", "Shop B", "--phone", "+880 1712-345678", "--json"))
    assert seen["reasons"][0]["reason"] == "cod_refusal"
    assert seen["reasons"][0]["sellers"] == 1
    run("untag", str(tag["id"]), "--seller", "Shop A")
    assert (
        json.loads(run("lookup", "--seller", "Shop B", "--phone", "+8801712345678", "--json"))[
            "reasons"
        ]
        == []
    )


def test_lookup_text_counts_one_seller_in_the_singular(run: Cli) -> None:
    run("seller", "create", "Shop A")
    run("seller", "create", "Shop B")
    run("tag", "--seller", "Shop A", "--reason", "non_payment", "--email", "one@example.com")
    text = run("lookup", "--seller", "Shop B", "--email", "one@example.com")
    assert text.startswith("Flagged by 1 seller    risk: ")
    assert "Refused to pay after delivery (chargeback, PayPal dispute)" in text
    assert "  1 seller\n" in text
    assert "1 seller reported: refused to pay after delivery (chargeback, PayPal dispute)" in text
    assert "Completed orders without problems: 0 sellers" in text


def test_a_seller_is_found_by_its_name_as_typed_at_creation(run: Cli) -> None:
    run("seller", "create", "  Trim Shop  ")
    for number, typed in enumerate(["  Trim Shop  ", "Trim Shop"]):
        email = f"t{number}@example.com"
        assert run("tag", "--seller", typed, "--reason", "other", "--email", email).startswith(
            "tag"
        )


def test_import_file(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Ops", "--admin")
    path = tmp_path / "history.jsonl"
    lines = [
        {
            "type": "tag",
            "seller": f"S{i}",
            "buyer": {"email": "x@example.com"},
            "reason": "unpaid_order",
        }
        for i in range(4)
    ] + [{"type": "completed_order", "buyer": {"email": "y@example.com"}, "order_ref": "1"}]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    result = json.loads(run("import", str(path), "--seller", "Ops", "--json"))
    assert result == {"tags": 4, "completed_orders": 1, "duplicates": 0}


def test_import_file_lines_end_at_line_feeds_only(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Shop A")
    tags = tmp_path / "tags.jsonl"
    tags.write_bytes(
        b'{"type": "tag",\r"buyer": {"email": "a@example.com"}, "reason": "unpaid_order"}\r\n'
    )
    assert run("import", str(tags), "--seller", "Shop A").startswith(
        "imported 1 tag, 0 completed orders; 0 duplicates"
    )


def test_errors_go_to_stderr_with_exit_1(run: Cli) -> None:
    run("seller", "create", "Shop A")
    result = run.runner.invoke(
        cli, ["tag", "--seller", "Shop A", "--reason", "rude", "--email", "a@b.co"], env=run.env
    )
    assert result.exit_code == 1
    assert "unknown_reason" in result.output


def test_jobs_run_once_expires_old_tags(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Ops", "--admin")
    path = tmp_path / "old.jsonl"
    old = {
        "type": "tag",
        "buyer": {"email": "o@example.com"},
        "reason": "other",
        "at": "2020-01-01T00:00:00Z",
    }
    new = {"type": "tag", "buyer": {"email": "o@example.com"}, "reason": "extortion"}
    path.write_text(json.dumps(old) + "\n" + json.dumps(new))
    run("import", str(path), "--seller", "Ops")
    assert "expire-old-tags" in run("jobs", "run-once", "expire-old-tags")
    profile = json.loads(run("lookup", "--seller", "Ops", "--email", "o@example.com", "--json"))
    assert [t["reason"] for t in profile["my_tags"]] == ["extortion"]


def test_recompute_trust_lowers_an_indiscriminate_tagger(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Ops", "--admin")
    lines = []
    for buyer in range(30):
        email = {"email": f"b{buyer}@example.com"}
        for seller in range(4):
            lines.append(
                {
                    "type": "completed_order",
                    "seller": f"Honest {seller}",
                    "buyer": email,
                    "order_ref": f"{buyer}",
                }
            )
        lines.append({"type": "tag", "seller": "Spammer", "buyer": email, "reason": "extortion"})
    # The honest sellers also agree on a buyer who did not pay: sellers that both complain and
    # vouch have a voice, and their clean orders contradict the spammer's complaints.
    unpaid = {"email": "unpaid@example.com"}
    for seller in range(4):
        lines.append(
            {"type": "tag", "seller": f"Honest {seller}", "buyer": unpaid, "reason": "unpaid_order"}
        )
    path = tmp_path / "graph.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    run("import", str(path), "--seller", "Ops")
    assert "recompute-trust: " in run("jobs", "run-once", "recompute-trust")
    sellers = {s.name: s for s in _sellers(run)}
    assert sellers["Spammer"].trust < min(sellers[f"Honest {i}"].trust for i in range(4))


def _sellers(run: Cli) -> list[Seller]:
    settings = Settings(
        data_dir=Path(run.env["BUYERGUARD_DATA_DIR"]),
        database_url=run.env.get("BUYERGUARD_DATABASE_URL"),
    )
    db = open_database(settings.resolved_database_url())
    try:
        with SqlUnitOfWork(db.sessions) as uow:
            return uow.sellers.list_all()
    finally:
        db.dispose()


def test_simulate_prints_a_seeded_marketplace(run: Cli) -> None:
    first = json.loads(run("simulate", "--seed", "3", "--set", "buyers=50", "--set", "sellers=10"))
    again = json.loads(run("simulate", "--seed", "3", "--set", "buyers=50", "--set", "sellers=10"))
    assert first == again
    assert first["params"]["buyers"] == 50
    assert first["tags"]


def test_evaluate_reports_model_and_baselines(run: Cli) -> None:
    result = json.loads(
        run(
            "evaluate",
            "--set",
            "buyers=400",
            "--set",
            "sellers=60",
            "--set",
            "malicious_seller_share=0.2",
        )
    )
    assert result["auc"] > result["negative_share_auc"]
    assert 0 <= result["wrongly_declined"] <= 1


def test_bad_simulation_parameter_is_an_error(run: Cli) -> None:
    result = run.runner.invoke(cli, ["simulate", "--set", "nope=1"], env=run.env)
    assert result.exit_code == 1
    assert "unknown simulation parameter" in result.output


def test_screen_policy_list_and_backtest_from_the_command_line(run: Cli, tmp_path: Path) -> None:
    demo = json.loads(run("demo", "--json"))
    case = demo["case_study_buyer"]
    common = ["screen", "--seller", "Demo Shop", "--currency", "EUR", "--country", "DE", "--json"]
    declined = json.loads(run(*common, "--ref", "A1", "--amount", "40", "--email", case["email"]))
    assert declined["decision"] == "decline"
    assert declined["reasons"]
    prepay = json.loads(
        run(
            *common,
            "--ref",
            "A2",
            "--amount",
            "40",
            "--payment-method",
            "cod",
            "--phone",
            "+8801712345678",
        )
    )
    assert prepay["decision"] == "require_prepayment"
    shipped = json.loads(
        run(*common, "--ref", "A3", "--amount", "40", "--email", "happy.customer@example.com")
    )
    assert shipped["decision"] == "ship"
    text = run(
        "screen",
        "--seller",
        "Demo Shop",
        "--ref",
        "A4",
        "--amount",
        "40",
        "--country",
        "DE",
        "--email",
        case["email"],
    )
    assert text.startswith("DECLINE")

    draft = tmp_path / "draft.txt"
    draft.write_text("review if order.amount > 10.0\nship\n")
    report = json.loads(run("policy", "backtest", str(draft), "--seller", "Demo Shop"))
    assert report["replayed"] == 4
    assert report["changed"] >= 1
    assert "saved" in run("policy", "set", str(draft), "--seller", "Demo Shop")
    assert (
        json.loads(run("policy", "show", "--seller", "Demo Shop", "--json"))["source"]
        == draft.read_text()
    )
    assert "entry" in run(
        "list", "add", "block", "--seller", "Demo Shop", "--email", "happy.customer@example.com"
    )
    blocked = json.loads(
        run(*common, "--ref", "A5", "--amount", "5", "--email", "happy.customer@example.com")
    )
    assert blocked["decision"] == "decline"

    batch = tmp_path / "orders.jsonl"
    order = {
        "ref": "B1",
        "amount": 5,
        "currency": "EUR",
        "payment_method": "prepaid",
        "ship_to": {"country": "DE"},
    }
    batch.write_text(
        json.dumps({"order": order, "buyer": {"email": "new@example.com"}}) + "\nnot json\n"
    )
    results = [
        json.loads(line)
        for line in run("screen", "--seller", "Demo Shop", "--file", str(batch)).splitlines()
    ]
    assert results[0]["result"]["decision"] == "ship"
    assert results[1]["error"]["code"] == "invalid_input"


def test_a_screening_shows_the_rules_that_failed(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Shop A")
    policy = tmp_path / "policy.txt"
    policy.write_text("decline if distinct_reporters / clean_sellers > 0\n")
    run("policy", "set", str(policy), "--seller", "Shop A")
    common = ["screen", "--seller", "Shop A", "--amount", "5", "--country", "DE"]
    decided = json.loads(run(*common, "--ref", "E1", "--email", "e@example.com", "--json"))
    assert decided["errors"] == ["line 1: division by zero in CEL expression"]
    text = run(*common, "--ref", "E2", "--email", "e@example.com")
    assert "! line 1: division by zero in CEL expression" in text


def test_a_list_decision_names_the_list(run: Cli) -> None:
    run("seller", "create", "Shop A")
    run("list", "add", "block", "--seller", "Shop A", "--email", "blocked@example.com")
    common = ["screen", "--seller", "Shop A", "--amount", "5", "--country", "DE"]
    text = run(*common, "--ref", "B1", "--email", "blocked@example.com")
    assert text.splitlines()[0] == 'DECLINE  (order B1, your "block" list)'
    shipped = run(*common, "--ref", "B2", "--email", "other@example.com")
    assert shipped.splitlines()[0] == "SHIP  (order B2, policy v0, line 8: ship)"


def test_a_policy_error_names_its_position(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Shop A")
    bad = tmp_path / "bad.txt"
    bad.write_text("ship if rsk > 1.0\n")
    result = run.runner.invoke(cli, ["policy", "set", str(bad), "--seller", "Shop A"], env=run.env)
    assert result.exit_code == 1
    assert "line 1, column 9" in result.output


def test_policy_commands_print_warnings_to_stderr_and_still_save(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Shop A")
    policy = tmp_path / "policy.txt"
    policy.write_text("review if risk>0.5\nreview if risk > 0.5\nreview if 1 == 1\nship\n")
    expected = [
        "warning: duplicate_condition: line 2 can never fire: the rule on line 1 has the same "
        "condition",
        "warning: unreachable_rule: line 4 can never fire: the rule on line 3 always matches",
    ]

    def invoked(*args: str) -> Result:
        result = run.runner.invoke(cli, [*args, "--seller", "Shop A"], env=run.env)
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines() == expected
        return result

    assert invoked("policy", "set", str(policy)).stdout == "policy version 1 saved (4 rules)\n"
    shown = json.loads(invoked("policy", "show", "--json").stdout)
    assert (shown["version"], shown["source"]) == (1, policy.read_text())
    assert [(w["line"], w["column"], w["code"]) for w in shown["warnings"]] == [
        (2, 11, "duplicate_condition"),
        (4, 1, "unreachable_rule"),
    ]
    assert invoked("policy", "show").stdout.startswith("# version 1\n")
    report = json.loads(invoked("policy", "backtest", str(policy)).stdout)
    assert report["warnings"] == shown["warnings"]


def test_a_policy_without_warnings_prints_none(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Shop A")
    policy = tmp_path / "policy.txt"
    policy.write_text("review if risk > 0.5\nship\n")
    for args in (
        ["policy", "set", str(policy)],
        ["policy", "show"],
        ["policy", "backtest", str(policy)],
    ):
        result = run.runner.invoke(cli, [*args, "--seller", "Shop A"], env=run.env)
        assert (result.exit_code, result.stderr) == (0, ""), result.output
    shown = json.loads(run("policy", "show", "--seller", "Shop A", "--json"))
    assert shown["warnings"] == []


def test_screen_file_gives_each_odd_line_its_error_and_screens_the_others(
    run: Cli, tmp_path: Path
) -> None:
    run("seller", "create", "Shop A")

    def line(ref: str, region: str = "") -> bytes:
        order = {
            "ref": ref,
            "amount": 5,
            "currency": "EUR",
            "payment_method": "prepaid",
            "ship_to": {"country": "DE", "region": region},
        }
        buyer = {"email": f"{ref.lower()}@example.com"}
        return json.dumps({"order": order, "buyer": buyer}, ensure_ascii=False).encode()

    batch = tmp_path / "orders.jsonl"
    odd = [b"[" * 100_000 + b"]" * 100_000, b'{"order": ' + b"9" * 5000 + b"}", b'"\xff"']
    batch.write_bytes(b"\n".join([line("B1"), *odd, line("B5", "a\u2028b\u0085c")]) + b"\r\n")
    output = run("screen", "--seller", "Shop A", "--file", str(batch))
    results = [json.loads(text) for text in output.splitlines()]
    assert [(r["line"], r["result"] is not None) for r in results] == [
        (1, True),
        (2, False),
        (3, False),
        (4, False),
        (5, True),
    ]
    assert [r["error"]["message"] for r in results[1:4]] == [
        "not valid JSON (nested too deeply)",
        "not valid JSON (a number too long)",
        "not UTF-8 text",
    ]


def test_files_saved_with_a_byte_order_mark_are_read(run: Cli, tmp_path: Path) -> None:
    run("seller", "create", "Shop A")
    policy = tmp_path / "policy.txt"
    policy.write_bytes(codecs.BOM_UTF8 + b'# mine\ndecline if level == "high"\nship\n')
    assert "saved (2 rules)" in run("policy", "set", str(policy), "--seller", "Shop A")
    shown = json.loads(run("policy", "show", "--seller", "Shop A", "--json"))
    assert shown["source"].startswith("# mine")
    assert json.loads(run("policy", "backtest", str(policy), "--seller", "Shop A"))["errors"] == 0
    tags = tmp_path / "tags.jsonl"
    tags.write_bytes(
        codecs.BOM_UTF8
        + b'{"type": "tag", "buyer": {"email": "a@example.com"}, "reason": "unpaid_order"}\n'
    )
    assert run("import", str(tags), "--seller", "Shop A").startswith(
        "imported 1 tag, 0 completed orders; 0 duplicates"
    )
    orders = tmp_path / "orders.jsonl"
    order = {
        "ref": "B1",
        "amount": 5,
        "currency": "EUR",
        "payment_method": "prepaid",
        "ship_to": {"country": "DE"},
    }
    line = json.dumps({"order": order, "buyer": {"email": "b@example.com"}})
    orders.write_bytes(codecs.BOM_UTF8 + line.encode())
    result = json.loads(run("screen", "--seller", "Shop A", "--file", str(orders)))
    assert result["result"]["decision"] == "ship"
