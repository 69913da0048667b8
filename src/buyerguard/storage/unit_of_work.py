"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from buyerguard.domain.errors import ConflictError
from buyerguard.storage import bulk
from buyerguard.storage.alerts import SqlDeliveryRepository, SqlSubscriptionRepository
from buyerguard.storage.buyers import SqlBuyerRepository
from buyerguard.storage.database import GIVE_WAY_SECONDS, others_committed, tune_for_bulk_writes
from buyerguard.storage.event_orders import SqlEventOrderRepository
from buyerguard.storage.events import SqlEventRepository, SqlEventRulesRepository
from buyerguard.storage.integrations import SqlIntegrationRepository
from buyerguard.storage.links import SqlBuyerLinkRepository
from buyerguard.storage.repositories import (
    SqlOrderRepository,
    SqlStatsRepository,
    SqlTagRepository,
)
from buyerguard.storage.screening import (
    SqlListRepository,
    SqlPolicyRepository,
    SqlScreeningRepository,
)
from buyerguard.storage.sellers import SqlSellerRepository
from buyerguard.storage.trust import SqlTrustRepository


class SqlUnitOfWork:
    """Satisfies services.unit_of_work.UnitOfWork; reusable, one transaction per `with`."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> Self:
        self.session = self._sessions()
        self.sellers = SqlSellerRepository(self.session)
        self.buyers = SqlBuyerRepository(self.session)
        self.buyer_links = SqlBuyerLinkRepository(self.session)
        self.tags = SqlTagRepository(self.session)
        self.orders = SqlOrderRepository(self.session)
        self.stats = SqlStatsRepository(self.session)
        self.trust = SqlTrustRepository(self.session)
        self.policies = SqlPolicyRepository(self.session)
        self.lists = SqlListRepository(self.session)
        self.screenings = SqlScreeningRepository(self.session)
        self.events = SqlEventRepository(self.session)
        self.event_orders = SqlEventOrderRepository(self.session)
        self.event_rules = SqlEventRulesRepository(self.session)
        self.integrations = SqlIntegrationRepository(self.session)
        self.subscriptions = SqlSubscriptionRepository(self.session)
        self.deliveries = SqlDeliveryRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self.session.close()
        if isinstance(exc, IntegrityError):
            # A concurrent writer won a race for a unique key: report it as a conflict to retry.
            raise ConflictError("a concurrent change conflicted with this one; retry") from exc

    def expect_bulk_writes(self) -> None:
        tune_for_bulk_writes(self.session.connection())

    def time_format(self) -> Callable[[datetime], object] | None:
        return bulk.time_format(self.session.connection().dialect)

    def formatted_times(self, texts: Mapping[datetime, object]) -> None:
        bulk.remember_times(self.session, texts)

    def give_way(self) -> None:
        """On SQLite, pause when other connections committed since the last call: they write,
        and may be waiting for the one write lock. PostgreSQL locks rows, not the database."""
        with self._sessions() as session:
            if session.get_bind().dialect.name != "sqlite":
                return
            if not others_committed(session.connection()):
                return
        time.sleep(GIVE_WAY_SECONDS)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
