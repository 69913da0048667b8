"""Judging the risk model: simulate a marketplace, evaluate the model against baselines."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from buyerguard.cli.common import reports_errors
from buyerguard.evaluation import bitcoin_alpha, simulator
from buyerguard.evaluation import evaluate as evaluation


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--set")
        try:
            values[name] = json.loads(raw)
        except json.JSONDecodeError:
            raise click.BadParameter(f"{name}: not a number: {raw!r}", param_hint="--set") from None
    return values


@click.command("simulate")
@click.option("--seed", default=0, type=int, show_default=True)
@click.option(
    "--set", "pairs", multiple=True, help="A simulation parameter, e.g. --set buyers=1000."
)
@reports_errors
def simulate_command(seed: int, pairs: tuple[str, ...]) -> None:
    """Simulate a marketplace (JSON): honest and bad buyers, honest and malicious sellers."""
    click.echo(json.dumps(simulator.simulate_json(seed=seed, **_params(pairs))))


@click.command("evaluate")
@click.option(
    "--dataset",
    type=click.Choice(["simulated", *bitcoin_alpha.CONDITIONS]),
    default="simulated",
    show_default=True,
    help="The simulator, or a Bitcoin Alpha condition (BUYERGUARD_BITCOIN_ALPHA_DIR).",
)
@click.option("--seed", default=1, type=int, show_default=True)
@click.option(
    "--set",
    "pairs",
    multiple=True,
    help="A simulation parameter, e.g. --set malicious_seller_share=0.2.",
)
@reports_errors
def evaluate_command(dataset: str, seed: int, pairs: tuple[str, ...]) -> None:
    """Score a dataset with the risk model and the naive baselines; prints JSON.

    `make bench-risk` runs the whole table (every condition) into bench/results/.
    """
    if dataset == "simulated":
        market = simulator.simulate(simulator.params_from(**_params(pairs)), seed)
    else:
        market = bitcoin_alpha.condition(bitcoin_alpha.load(), dataset)
    click.echo(json.dumps(asdict(evaluation.evaluate(market)), indent=2))


COMMANDS = (simulate_command, evaluate_command)
