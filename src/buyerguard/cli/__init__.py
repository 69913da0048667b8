"""The `buyerguard` command: operators' and scripts' way in, and a composition root."""

from __future__ import annotations

from typing import Any

import click

from buyerguard.cli import evaluation, events, links, operations, registry, screening, sellers
from buyerguard.cli.common import CommandError
from buyerguard.config import SettingsError, load_settings


class Commands(click.Group):
    """A setting that cannot be used (a variable, the data directory, the database it names) ends
    any command with one line naming it, wherever the command first needs it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as error:
            raise CommandError(str(error)) from None


@click.group(cls=Commands)
@click.version_option(package_name="buyerguard")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """buyerguard: a shared buyer-risk registry with order screening."""
    ctx.obj = load_settings()


for _module in (operations, sellers, registry, links, screening, evaluation, events):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    cli()
