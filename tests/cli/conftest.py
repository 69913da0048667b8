from __future__ import annotations

from tests.test_cli import run

__all__ = ["run"]  # the command line against the test's database, as in tests/test_cli.py
