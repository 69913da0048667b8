"""Which buyer a set of identifiers belongs to: identifiers seen together are one person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple


class BuyerGroup(NamedTuple):
    """Identifiers that belong together, the known buyers among them, and the input rows they cover.

    `keep` is the buyer that survives (the oldest known one), `merge` the others that must be folded
    into it; `keep` is None when none of the identifiers is known yet and a buyer must be created.
    """

    digests: frozenset[str]
    keep: int | None
    merge: tuple[int, ...]
    rows: tuple[int, ...]


def group_identifiers(
    rows: Sequence[Sequence[str]], known: Mapping[str, int]
) -> tuple[BuyerGroup, ...]:
    """Join the digests of each row, and all digests of one known buyer, into groups; the groups
    come in the order of their first row.

    A bulk import groups tens of thousands of rows at a time: each digest carries the number of
    its group, and joining two groups renumbers the smaller one.
    """
    groups = _Groups()
    anchors: dict[int, int] = {}
    for digest, buyer_id in known.items():
        group = anchors.get(buyer_id)
        if group is None:
            group = anchors[buyer_id] = groups.new()
        groups.add(group, digest)
    for index, row in enumerate(rows):
        group = groups.join(row)
        for digest in row:
            if digest not in groups.of:
                groups.add(group, digest)
        groups.rows[group].append(index)
    found = [
        _group(groups.digests[g], sorted(indices), known)
        for g, indices in groups.rows.items()
        if indices
    ]
    return tuple(sorted(found, key=lambda group: group.rows[0]))


class _Groups:
    def __init__(self) -> None:
        self.of: dict[str, int] = {}  # digest: its group
        self.digests: dict[int, list[str]] = {}
        self.rows: dict[int, list[int]] = {}
        self.count = 0

    def new(self) -> int:
        group = self.count
        self.count += 1
        self.digests[group] = []
        self.rows[group] = []
        return group

    def add(self, group: int, digest: str) -> None:
        self.of[digest] = group
        self.digests[group].append(digest)

    def join(self, row: Sequence[str]) -> int:
        """The group of the row's known digests, all of them joined into it (a new one if none)."""
        found = {self.of[d] for d in row if d in self.of}
        if not found:
            return self.new()
        kept, *others = sorted(found, key=lambda g: -len(self.digests[g]))
        for other in others:
            for digest in self.digests.pop(other):
                self.add(kept, digest)
            self.rows[kept] += self.rows.pop(other)
        return kept


def _group(digests: list[str], rows: list[int], known: Mapping[str, int]) -> BuyerGroup:
    buyers = sorted({known[d] for d in digests if d in known})
    return BuyerGroup(
        digests=frozenset(digests),
        keep=buyers[0] if buyers else None,
        merge=tuple(buyers[1:]),
        rows=tuple(rows),
    )
