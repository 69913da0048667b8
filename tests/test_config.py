"""The identifier secret: generated once, kept in the data directory, the same for every process."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from buyerguard.config import SECRET_FILE, Settings


def _secret_of(data_dir: str) -> bytes:
    return Settings(data_dir=Path(data_dir)).identifier_secret()


def test_processes_starting_together_read_one_complete_key(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        keys = pool.map(_secret_of, [str(tmp_path / "data")] * 12)
    assert len(set(keys)) == 1
    assert len(keys[0]) == 64
    assert (tmp_path / "data" / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [SECRET_FILE]


def test_the_key_is_kept_across_restarts(tmp_path: Path) -> None:
    assert _secret_of(str(tmp_path)) == _secret_of(str(tmp_path))


def test_a_given_key_wins_over_the_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    assert settings.identifier_secret() == b"k" * 40
    assert not (tmp_path / SECRET_FILE).exists()


def test_an_emptied_key_file_is_refused_not_replaced(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("")
    with pytest.raises(ValueError, match="empty"):
        Settings(data_dir=tmp_path).identifier_secret()
