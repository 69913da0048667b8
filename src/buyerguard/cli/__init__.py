"""The `buyerguard` command: operators' and scripts' way in, and a composition root."""

from __future__ import annotations

import click

from buyerguard.cli import evaluation, events, operations, registry, screening
from buyerguard.config import load_settings


@click.group()
@click.version_option(package_name="buyerguard")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """buyerguard: a shared buyer-risk registry with order screening."""
    ctx.obj = load_settings()


for _module in (operations, registry, screening, evaluation, events):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    cli()
