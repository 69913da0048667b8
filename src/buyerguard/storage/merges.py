"""The journal of merges: which rows each merge moved or changed, so an operator can undo it.

storage.buyers folds one record into another; before it does, `MergeJournal.start` notes the rows
of the merged record (by id, identifiers by digest) and the list entries that two would make one
(as they were), and the merge notes the tags it marked removed or order-backed. `undo_merge` moves
exactly those rows back, where they still are on the kept record, and restores what was changed
(domain.merges).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, cast, exists, insert, literal, or_, select, update
from sqlalchemy.orm import Session, aliased

from buyerguard.domain.errors import MergeNotFoundError
from buyerguard.domain.merges import Merge, check_undoable
from buyerguard.domain.tags import TagStatus
from buyerguard.storage import tables as t
from buyerguard.storage.repositories import batched, core_table
from buyerguard.storage.sellers import seller_names

MOVED_BY_ID: dict[str, Any] = {
    "order": t.OrderRow,
    "screening": t.ScreeningRow,
    "tag": t.TagRow,
    "list_entry": t.ListEntryRow,
}
IDENTIFIER = "identifier"
REMOVED_TAG = "removed_tag"  # a duplicate the merge marked removed
BACKED_TAG = "backed_tag"  # a tag the merge made order-backed (its order came from the other)
ENTRY_BEFORE = "list_entry_before"  # an entry of two the merge made one, as it was
CLAIMANT = "claimant"  # a seller whose claim of the pair the merge settled

_MOVES = core_table(t.BuyerMergeMoveRow)
_ENTRIES = core_table(t.ListEntryRow)
_ENTRY_TIMES = ("expires_at", "created_at")


class MergeJournal:
    def __init__(self, session: Session, merge_id: int) -> None:
        self.session = session
        self.merge_id = merge_id

    @classmethod
    def start(
        cls, session: Session, keep: int, other: int, *, seller_id: int | None, now: datetime
    ) -> MergeJournal:
        """Journal the merge of `other` into `keep`, about to be made on `seller_id`'s word (None:
        an operator's), and the sellers whose claims of the pair it settles."""
        merge_id = session.execute(
            insert(t.BuyerMergeRow)
            .values(buyer_id=keep, merged_id=other, seller_id=seller_id, merged_at=now)
            .returning(t.BuyerMergeRow.id)
        ).scalar_one()
        journal = cls(session, merge_id)
        link = t.BuyerLinkRow
        low, high = sorted((keep, other))
        journal._note_rows(
            CLAIMANT,
            select(cast(link.seller_id, String(64))).where(
                link.buyer_id == low, link.other_id == high
            ),
        )
        for kind, row in MOVED_BY_ID.items():
            journal._note_rows(kind, select(cast(row.id, String(64))).where(row.buyer_id == other))
        ident = t.BuyerIdentifierRow
        journal._note_rows(IDENTIFIER, select(ident.digest).where(ident.buyer_id == other))
        journal._note_entries_made_one(keep, other)
        return journal

    def note(self, kind: str, keys: Iterable[object]) -> None:
        self._insert(kind, ((key, None) for key in keys))

    def _note_rows(self, kind: str, keys: Select[str]) -> None:
        """Note the rows `keys` selects, in the database: a record may have many screenings."""
        found = keys.subquery()
        rows = select(literal(self.merge_id), literal(kind), *found.c)
        self.session.execute(insert(_MOVES).from_select(["merge_id", "kind", "key"], rows))

    def _note_entries_made_one(self, keep: int, other: int) -> None:
        """Entries of one seller's list on both records, as they are: the merge makes them one."""
        rows = self.session.execute(select(_ENTRIES).where(_ENTRIES.c.buyer_id.in_((keep, other))))
        by_list: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows.mappings():
            by_list[(row["seller_id"], row["list_name"])].append(dict(row))
        snapshots = [entry for two in by_list.values() if len(two) == 2 for entry in two]
        self._insert(ENTRY_BEFORE, ((entry["id"], _json_entry(entry)) for entry in snapshots))

    def _insert(self, kind: str, rows: Iterable[tuple[object, str | None]]) -> None:
        moves = [
            {"merge_id": self.merge_id, "kind": kind, "key": str(key), "data": data}
            for key, data in rows
        ]
        if moves:
            self.session.execute(insert(_MOVES), moves)


def list_merges(session: Session, buyer_id: int | None, *, limit: int) -> list[Merge]:
    """Merges newest first: of this buyer (kept or merged), or all."""
    m = t.BuyerMergeRow
    query = select(m).order_by(m.id.desc()).limit(limit)
    if buyer_id is not None:
        query = query.where(or_(m.buyer_id == buyer_id, m.merged_id == buyer_id))
    return _named(session, list(session.scalars(query)))


def _named(session: Session, rows: Sequence[t.BuyerMergeRow]) -> list[Merge]:
    """The merges with the names of the sellers that made and claimed them."""
    moves = session.execute(
        select(_MOVES.c.merge_id, _MOVES.c.key).where(
            _MOVES.c.merge_id.in_([row.id for row in rows]), _MOVES.c.kind == CLAIMANT
        )
    ).all()
    ids = {row.seller_id for row in rows if row.seller_id} | {int(move.key) for move in moves}
    names = seller_names(session, ids)
    claimed: dict[int, list[str]] = defaultdict(list)
    for move in moves:
        claimed[move.merge_id].append(names[int(move.key)])
    return [
        replace(
            _merge(row),
            seller=names[row.seller_id] if row.seller_id else None,
            claimed_by=tuple(sorted(claimed[row.id])),
        )
        for row in rows
    ]


def undo_merge(session: Session, merge_id: int, *, now: datetime) -> Merge:
    """Move back what the merge moved and restore what it changed; returns the merge undone."""
    row = session.get(t.BuyerMergeRow, merge_id, with_for_update=True)
    if row is None:
        raise MergeNotFoundError(f"no merge {merge_id}")
    merge = _merge(row)
    keep, other = merge.buyer_id, merge.merged_id
    kept_into = session.scalar(select(t.BuyerRow.merged_into).where(t.BuyerRow.id == keep))
    later = None
    if kept_into is not None:
        later = session.scalar(
            select(t.BuyerMergeRow.id).where(
                t.BuyerMergeRow.merged_id == keep, t.BuyerMergeRow.undone_at.is_(None)
            )
        )
    check_undoable(merge, kept_into=kept_into, later_id=later)
    moves: dict[str, list[str]] = defaultdict(list)
    entries: list[dict[str, Any]] = []
    for kind, key, data in session.execute(
        select(_MOVES.c.kind, _MOVES.c.key, _MOVES.c.data).where(_MOVES.c.merge_id == merge_id)
    ):
        if kind == ENTRY_BEFORE:
            entries.append(json.loads(data))
        else:
            moves[kind].append(key)
    _move_back(session, moves, keep, other)
    _restore_tags(session, moves)
    _restore_entries(session, entries, keep)
    session.execute(update(t.BuyerRow).where(t.BuyerRow.id == other).values(merged_into=None))
    row.undone_at = now
    session.flush()
    return _named(session, [row])[0]


def _move_back(session: Session, moves: dict[str, list[str]], keep: int, other: int) -> None:
    for kind, table in MOVED_BY_ID.items():
        for chunk in batched(int(key) for key in moves[kind]):
            session.execute(
                update(table)
                .where(table.id.in_(chunk), table.buyer_id == keep)
                .values(buyer_id=other)
            )
    ident = t.BuyerIdentifierRow
    for digests in batched(moves[IDENTIFIER]):
        session.execute(
            update(ident)
            .where(ident.digest.in_(digests), ident.buyer_id == keep)
            .values(buyer_id=other)
        )


def _restore_tags(session: Session, moves: dict[str, list[str]]) -> None:
    """Duplicates the merge removed stand again, unless their seller has tagged that buyer for
    that reason since; tags it backed with the other record's orders lose the backing they lost
    with the order (unless an order of their own buyer backs them now)."""
    tag, same = t.TagRow, aliased(t.TagRow)
    active = TagStatus.ACTIVE.value
    taken = exists().where(
        same.seller_id == tag.seller_id,
        same.buyer_id == tag.buyer_id,
        same.reason == tag.reason,
        same.status == active,
    )
    for chunk in batched(int(key) for key in moves[REMOVED_TAG]):
        session.execute(
            update(tag)
            .where(tag.id.in_(chunk), tag.status == TagStatus.REMOVED.value, ~taken)
            .values(status=active)
        )
    order = t.OrderRow
    own_order = exists().where(
        order.seller_id == tag.seller_id,
        order.order_ref == tag.order_ref,
        order.buyer_id == tag.buyer_id,
    )
    for chunk in batched(int(key) for key in moves[BACKED_TAG]):
        session.execute(update(tag).where(tag.id.in_(chunk), ~own_order).values(order_backed=False))


def _restore_entries(session: Session, entries: Sequence[dict[str, Any]], keep: int) -> None:
    """Of two entries the merge made one: while that one is still on the list, its note and times
    as they were, and the other record's entry back beside it."""
    pairs: dict[tuple[int, str], dict[int, dict[str, Any]]] = defaultdict(dict)
    for entry in entries:
        pairs[(entry["seller_id"], entry["list_name"])][entry["buyer_id"]] = {
            k: datetime.fromisoformat(v) if k in _ENTRY_TIMES and v is not None else v
            for k, v in entry.items()
        }
    for pair in pairs.values():
        kept = pair.pop(keep)
        found = session.scalar(select(_ENTRIES.c.id).where(_ENTRIES.c.id == kept["id"]))
        if found is None:  # taken off the list since: neither stands
            continue
        changed = {k: kept[k] for k in ("note", *_ENTRY_TIMES)}
        session.execute(update(_ENTRIES).where(_ENTRIES.c.id == found).values(changed))
        session.execute(insert(_ENTRIES), list(pair.values()))


def _json_entry(entry: dict[str, Any]) -> str:
    return json.dumps(
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in entry.items()}
    )


def _merge(row: t.BuyerMergeRow) -> Merge:
    return Merge(row.id, row.buyer_id, row.merged_id, row.merged_at, row.undone_at)
