"""Sellers' platform connections. Their secrets are credentials kept in clear, because verifying a
webhook needs them: whoever reads this table can forge that seller's webhooks (see docs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from buyerguard.domain.integrations.connections import Connection, IntegrationNotFoundError
from buyerguard.storage.tables import Base, UtcDateTime


class IntegrationRow(Base):
    __tablename__ = "integrations"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    secrets: Mapped[list[str]] = mapped_column(JSON)
    settings: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _connection(row: IntegrationRow) -> Connection:
    return Connection(
        id=row.id,
        seller_id=row.seller_id,
        provider=row.provider,
        secrets=tuple(row.secrets),
        settings=dict(row.settings),
        created_at=row.created_at,
    )


class SqlIntegrationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, connection: Connection) -> None:
        self.session.add(
            IntegrationRow(
                id=connection.id,
                seller_id=connection.seller_id,
                provider=connection.provider,
                secrets=list(connection.secrets),
                settings=dict(connection.settings),
                created_at=connection.created_at,
            )
        )
        self.session.flush()

    def get(self, connection_id: str) -> Connection:
        row = self.session.get(IntegrationRow, connection_id)
        if row is None:
            raise IntegrationNotFoundError(f"no integration {connection_id}")
        return _connection(row)

    def get_for_seller(self, connection_id: str, seller_id: int) -> Connection:
        """Another seller's connection is reported as not found: existence is not revealed."""
        row = self.session.get(IntegrationRow, connection_id)
        if row is None or row.seller_id != seller_id:
            raise IntegrationNotFoundError(f"no integration {connection_id} among yours")
        return _connection(row)

    def list_for_seller(self, seller_id: int) -> list[Connection]:
        rows = self.session.scalars(
            select(IntegrationRow)
            .where(IntegrationRow.seller_id == seller_id)
            .order_by(IntegrationRow.created_at, IntegrationRow.id)
        )
        return [_connection(row) for row in rows]

    def replace(
        self, connection_id: str, *, secrets: Sequence[str], settings: Mapping[str, str]
    ) -> None:
        self.session.execute(
            update(IntegrationRow)
            .where(IntegrationRow.id == connection_id)
            .values(secrets=list(secrets), settings=dict(settings))
        )

    def delete(self, connection_id: str) -> None:
        self.session.execute(delete(IntegrationRow).where(IntegrationRow.id == connection_id))
