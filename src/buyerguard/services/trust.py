"""Recomputing reporter trust over the whole graph, then the aggregates that depend on it.

A job, not a request: the hot path only reads the trust it writes (`sellers.trust`) and the
per-buyer aggregates refreshed here.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from buyerguard.domain.reasons import REASON_CODES
from buyerguard.domain.trust import TrustGraph, compute_trust
from buyerguard.services.buyers import refresh_stats
from buyerguard.services.unit_of_work import UnitOfWork

REFRESH_BATCH = 2000


def recompute_trust(uow: UnitOfWork, *, now: datetime) -> int:
    """Learn each seller's trust from agreement, evidence, age and appeals; returns how many."""
    with uow:
        data = uow.trust.load_graph()
        if not data.seller_ids:
            return 0
        sellers = np.asarray(data.seller_ids, dtype=np.int64)
        created = np.asarray([c.timestamp() for c in data.seller_created], dtype=np.float64)
        buyers, buyer_index = np.unique(
            np.concatenate([data.tag_buyer, data.clean_buyer]).astype(np.int64), return_inverse=True
        )
        n_tags = len(data.tag_buyer)
        reason_index = {code: i for i, code in enumerate(REASON_CODES)}
        graph = TrustGraph(
            n_sellers=len(sellers),
            n_buyers=len(buyers),
            tag_seller=np.searchsorted(sellers, np.asarray(data.tag_seller, dtype=np.int64)),
            tag_buyer=buyer_index[:n_tags],
            tag_reason=np.asarray([reason_index[r] for r in data.tag_reason], dtype=np.int64),
            tag_order_backed=np.asarray(data.tag_order_backed, dtype=bool),
            clean_seller=np.searchsorted(sellers, np.asarray(data.clean_seller, dtype=np.int64)),
            clean_buyer=buyer_index[n_tags:],
            seller_age_days=(now.timestamp() - created) / 86400.0,
            appeals_lost=np.zeros(len(sellers), dtype=np.int64),
            appeals_won=np.zeros(len(sellers), dtype=np.int64),
        )
        trust = compute_trust(graph)
        uow.sellers.set_trust(dict(zip(data.seller_ids, trust.tolist(), strict=True)), now=now)
        for start in range(0, len(buyers), REFRESH_BATCH):
            refresh_stats(uow, buyers[start : start + REFRESH_BATCH].tolist(), now=now)
        uow.commit()
    return len(sellers)
