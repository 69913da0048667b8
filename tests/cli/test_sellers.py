"""`buyerguard seller`: creating sellers, their names, their keys, listing them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from buyerguard.cli import cli
from buyerguard.domain.errors import AuthenticationError
from buyerguard.services import sellers
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.test_cli import Cli


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
    assert run.failure("seller", "create", "demo shop") == (
        "error: seller_exists: a seller named 'Demo Shop' exists already\n"
    )


def authenticates(database: Database, key: str) -> bool:
    try:
        sellers.authenticate(SqlUnitOfWork(database.sessions), key, now=datetime.now(UTC))
    except AuthenticationError:
        return False
    return True


def test_another_key_is_issued_beside_the_first_and_shown_once(
    run: Cli, database: Database
) -> None:
    first = json.loads(run("seller", "create", "Shop", "--json"))["api_key"]
    issued = json.loads(run("seller", "key", "shop", "--json"))
    assert issued["seller_id"] == 1
    assert issued["api_key"].startswith(issued["prefix"])
    assert issued["revoked"] == []
    assert authenticates(database, first)
    assert authenticates(database, issued["api_key"])
    keys = json.loads(run("seller", "keys", "Shop", "--json"))
    assert [(k["id"], k["prefix"], k["revoked_at"]) for k in keys] == [
        (issued["key_id"], issued["prefix"], None),
        (issued["key_id"] - 1, first[:11], None),
    ]
    assert all(k["last_used_at"] is not None for k in keys)
    text = run("seller", "keys", "Shop")
    assert issued["prefix"] in text
    assert issued["api_key"] not in text
    assert first not in text
    assert text.count(" used 20") == 2
    run("seller", "key", "Shop")
    assert run("seller", "keys", "Shop").splitlines()[0].count("never used") == 1


def test_revoke_others_leaves_the_new_key_alone_working(run: Cli, database: Database) -> None:
    first = json.loads(run("seller", "create", "Shop", "--json"))["api_key"]
    text = run("seller", "key", "Shop", "--revoke-others")
    new = text.split(": ", 1)[1].splitlines()[0]
    assert text.splitlines()[1] == "revoked key 1"
    assert (authenticates(database, first), authenticates(database, new)) == (False, True)


def test_revoke_keys_all_but_the_newest_or_those_named(run: Cli, database: Database) -> None:
    keys = [json.loads(run("seller", "create", "Shop", "--json"))["api_key"]]
    keys += [json.loads(run("seller", "key", "Shop", "--json"))["api_key"] for _ in range(3)]
    assert run("seller", "revoke-keys", "Shop", "--key", "2") == "revoked key 2\n"
    assert [authenticates(database, k) for k in keys] == [True, False, True, True]
    assert run("seller", "revoke-keys", "Shop", "--except-newest") == "revoked keys 3, 1\n"
    assert [authenticates(database, k) for k in keys] == [False, False, False, True]
    assert json.loads(run("seller", "revoke-keys", "Shop", "--json")) == {
        "seller_id": 1,
        "revoked": [4],
    }
    assert not any(authenticates(database, k) for k in keys)
    assert run("seller", "revoke-keys", "Shop") == "no active key revoked\n"


def test_revoking_a_key_the_seller_does_not_have_revokes_nothing(
    run: Cli, database: Database
) -> None:
    mine = json.loads(run("seller", "create", "Mine", "--json"))["api_key"]
    theirs = json.loads(run("seller", "create", "Theirs", "--json"))["api_key"]
    assert run.failure("seller", "revoke-keys", "Mine", "--key", "1", "--key", "2") == (
        "error: api_key_not_found: no API key 2 of seller 1\n"
    )
    assert authenticates(database, mine)
    assert authenticates(database, theirs)


def test_key_options_that_contradict_or_an_unknown_seller_are_usage_errors(run: Cli) -> None:
    run("seller", "create", "Shop")
    both = run.runner.invoke(
        cli, ["seller", "revoke-keys", "Shop", "--key", "1", "--except-newest"], env=run.env
    )
    assert both.exit_code == 2
    assert "give --key or --except-newest, not both" in both.stderr
    for command in ("key", "keys", "revoke-keys"):
        unknown = run.runner.invoke(cli, ["seller", command, "Ghost"], env=run.env)
        assert unknown.exit_code == 2
        assert "Invalid value for NAME: no seller named 'Ghost'" in unknown.stderr


def test_seller_list_shows_roles_and_active_keys_never_keys(run: Cli) -> None:
    keys = [json.loads(run("seller", "create", "Operator", "--admin", "--json"))["api_key"]]
    keys.append(json.loads(run("seller", "create", "Café Müller", "--json"))["api_key"])
    keys.append(json.loads(run("seller", "key", "Café Müller", "--json"))["api_key"])
    run("seller", "revoke-keys", "Operator")
    listed = json.loads(run("seller", "list", "--json"))
    assert listed == [
        {"id": 1, "name": "Operator", "role": "admin", "active_keys": 0},
        {"id": 2, "name": "Café Müller", "role": "seller", "active_keys": 2},
    ]
    text = run("seller", "list")
    assert text.splitlines()[1:] == [
        "     1  admin      0  Operator",
        "     2  seller     2  Café Müller",
    ]
    assert not any(key[:11] in text for key in keys)
