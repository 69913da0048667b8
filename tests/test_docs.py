"""Docs that cannot drift: the settings and CLI references are generated and compared here.

Run `make docs` to rewrite them after changing a setting or a command.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import click
import pytest

from buyerguard.cli import cli
from buyerguard.config import Settings
from buyerguard.domain.errors import BuyerGuardError
from buyerguard.domain.reasons import REASONS
from buyerguard.storage.database import Database
from buyerguard.web.api.schemas import ContributionOut, ReasonCodeOut, RiskOut, ScreeningOut
from buyerguard.web.app import create_app

DOCS = Path(__file__).parent.parent / "docs"


def settings_reference() -> str:
    lines = [
        "# Settings",
        "",
        "Environment variables read by `buyerguard` (generated from `config.py`).",
        "",
    ]
    lines += ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = "" if field.default is None else f"`{field.default}`"
        lines.append(f"| `BUYERGUARD_{name.upper()}` | {default} | {field.description} |")
    return "\n".join(lines) + "\n"


def cli_reference() -> str:
    lines = ["# Command line", "", "Generated from `buyerguard --help`.", ""]

    def walk(command: click.Command, path: list[str]) -> None:
        context = click.Context(command, info_name=" ".join(path))
        lines.extend([f"## `{' '.join(path)}`", "", "```", command.get_help(context), "```", ""])
        if isinstance(command, click.Group):
            for name in sorted(command.commands):
                walk(command.commands[name], [*path, name])

    walk(cli, ["buyerguard"])
    return "\n".join(lines)


def reasons_reference() -> str:
    lines = [
        "# Reasons",
        "",
        "The taxonomy (generated from `domain/reasons.py`; codes never change).",
        "",
    ]
    lines += [
        "| code | label | kind | half-life (days) | expires after (days) |",
        "|---|---|---|---|---|",
    ]
    for r in REASONS:
        lines.append(
            f"| `{r.code}` | {r.label} | {r.kind.value} "
            f"| {r.half_life.days} | {r.expires_after.days} |"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("settings.md", settings_reference),
        ("cli.md", cli_reference),
        ("reasons.md", reasons_reference),
    ],
)
def test_generated_docs_are_current(name: str, render: object) -> None:
    assert callable(render)
    expected = render()
    path = DOCS / name
    if os.environ.get("BUYERGUARD_UPDATE_DOCS") == "1":
        path.write_text(expected)
    assert path.read_text() == expected, f"docs/{name} is stale: run `make docs`"


def test_every_setting_has_a_description() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def _error_codes(error: type[BuyerGuardError]) -> set[str]:
    return {error.code}.union(*(_error_codes(sub) for sub in error.__subclasses__()))


def test_every_error_code_is_in_the_api_error_table(settings: Settings, database: Database) -> None:
    create_app(
        settings, database=database
    )  # every module with an error of its own is imported by now
    table = (DOCS / "api.md").read_text().partition("## Errors")[2].partition("\n## ")[0]
    edge = {"invalid_request", "not_found", "method_not_allowed", "body_too_large"}
    edge |= {"unsupported_media_type", "internal_error"}
    documented = set(re.findall(r"`([a-z_]+)`", table))
    missing = (_error_codes(BuyerGuardError) - {"error"} | edge) - documented
    assert not missing, f"docs/api.md's error table misses {sorted(missing)}"


def test_the_example_screening_answer_has_the_fields_of_a_real_one() -> None:
    text = (DOCS / "screening.md").read_text()
    found = re.search(r"```json\n(\{\"screening_id\".*?)```", text, re.DOTALL)
    assert found is not None, "docs/screening.md shows no screening answer"
    example = json.loads(found[1])
    assert list(example) == list(ScreeningOut.model_fields)
    assert list(example["risk"]) == list(RiskOut.model_fields)
    assert all(list(r) == list(ReasonCodeOut.model_fields) for r in example["reasons"])
    contributions = example["risk"]["contributions"]
    assert all(list(c) == list(ContributionOut.model_fields) for c in contributions)
