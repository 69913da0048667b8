from __future__ import annotations

import pytest

from buyerguard.domain.errors import ConflictError
from buyerguard.domain.sellers import Role
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW


def test_uncommitted_work_is_rolled_back(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.sellers.add("Ghost", role=Role.SELLER, trust=0.1, now=NOW)
    with uow:
        assert uow.sellers.find_by_name("Ghost") is None


def test_committed_work_is_kept(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.sellers.add("Kept", role=Role.SELLER, trust=0.1, now=NOW)
        uow.commit()
    with uow:
        assert uow.sellers.find_by_name("Kept") is not None


def test_a_unique_violation_is_a_conflict(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.sellers.add("Twin", role=Role.SELLER, trust=0.1, now=NOW)
        uow.commit()
    with pytest.raises(ConflictError), uow:
        uow.sellers.add("Twin", role=Role.SELLER, trust=0.1, now=NOW)
