"""The trust graph: every seller, active tag and clean order, read at once for the trust job."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from buyerguard.domain.graph import GraphData
from buyerguard.domain.tags import TagStatus
from buyerguard.storage import tables as t


class SqlTrustRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def load_graph(self) -> GraphData:
        sellers = self.session.execute(
            select(t.SellerRow.id, t.SellerRow.created_at).order_by(t.SellerRow.id)
        ).all()
        tags = self.session.execute(
            select(
                t.TagRow.seller_id,
                t.TagRow.buyer_id,
                t.TagRow.reason,
                t.TagRow.order_backed,
                t.TagRow.confirmed_order_ref,
            ).where(t.TagRow.status == TagStatus.ACTIVE.value)
        ).all()
        cleans = self.session.execute(
            select(t.OrderRow.seller_id, t.OrderRow.buyer_id)
            .where(t.OrderRow.completed.is_(True))
            .distinct()
        ).all()
        return GraphData(
            seller_ids=[r.id for r in sellers],
            seller_created=[r.created_at for r in sellers],
            tag_seller=[r.seller_id for r in tags],
            tag_buyer=[r.buyer_id for r in tags],
            tag_reason=[r.reason for r in tags],
            # A tag the events confirmed is backed by their order, as the automatic tag would be.
            tag_order_backed=[r.order_backed or r.confirmed_order_ref is not None for r in tags],
            clean_seller=[r.seller_id for r in cleans],
            clean_buyer=[r.buyer_id for r in cleans],
        )
