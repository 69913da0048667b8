"""Which buyer a set of identifiers belongs to: identifiers seen together are one person."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

# Whether a row may join two groups that each hold known buyers: (the known buyers of one, of the
# other, the index of the row). A merge makes one buyer's tags another's, so the caller may refuse.
Joinable = Callable[[frozenset[int], frozenset[int], int], bool]


class BuyerGroup(NamedTuple):
    """Identifiers that belong together, the known buyers among them, and the input rows they cover.

    `keep` is the buyer that survives (the oldest known one), `merge` the others that must be folded
    into it; `keep` is None when none of the identifiers is known yet and a buyer must be created.
    `apart` holds, for a row that named known buyers the group could not join, the oldest known
    buyer of each group it named.
    """

    digests: frozenset[str]
    keep: int | None
    merge: tuple[int, ...]
    rows: tuple[int, ...]
    apart: Mapping[int, tuple[int, ...]]


def group_identifiers(
    rows: Sequence[Sequence[str]], known: Mapping[str, int], joinable: Joinable | None = None
) -> tuple[BuyerGroup, ...]:
    """Join the digests of each row, and all digests of one known buyer, into groups; the groups
    come in the order of their first row.

    Groups holding known buyers are joined only where `joinable` allows (always, without it); a
    row it refuses goes with the group of the oldest buyer it names.

    A bulk import groups tens of thousands of rows at a time: each digest carries the number of
    its group, and joining two groups renumbers the smaller one.
    """
    groups = _Groups(joinable)
    anchors: dict[int, int] = {}
    for digest, buyer_id in known.items():
        group = anchors.get(buyer_id)
        if group is None:
            group = anchors[buyer_id] = groups.new()
            groups.buyers[group].add(buyer_id)
        groups.add(group, digest)
    for index, row in enumerate(rows):
        group = groups.join(row, index)
        for digest in row:
            if digest not in groups.of:
                groups.add(group, digest)
        groups.rows[group].append(index)
    found = [
        _group(groups, g, sorted(indices), known) for g, indices in groups.rows.items() if indices
    ]
    return tuple(sorted(found, key=lambda group: group.rows[0]))


class _Groups:
    def __init__(self, joinable: Joinable | None) -> None:
        self.joinable = joinable
        self.of: dict[str, int] = {}  # digest: its group
        self.digests: dict[int, list[str]] = {}
        self.rows: dict[int, list[int]] = {}
        self.buyers: dict[int, set[int]] = {}  # the known buyers of each group
        self.apart: dict[int, list[str]] = {}  # row: a digest of each group it could not join
        self.count = 0

    def new(self) -> int:
        group = self.count
        self.count += 1
        self.digests[group] = []
        self.rows[group] = []
        self.buyers[group] = set()
        return group

    def add(self, group: int, digest: str) -> None:
        self.of[digest] = group
        self.digests[group].append(digest)

    def join(self, row: Sequence[str], index: int) -> int:
        """The group of the row's known digests, those it may join joined into it (a new one if
        none): of groups with known buyers, the oldest buyer's, then each it may join to that."""
        found = {self.of[d] for d in row if d in self.of}
        if not found:
            return self.new()
        anchored = sorted((g for g in found if self.buyers[g]), key=lambda g: min(self.buyers[g]))
        kept = anchored[0] if anchored else max(found, key=lambda g: len(self.digests[g]))
        for other in anchored[1:]:
            if self.joinable is None or self.joinable(
                frozenset(self.buyers[kept]), frozenset(self.buyers[other]), index
            ):
                kept = self._merge(kept, other)
            else:
                self.apart.setdefault(index, []).append(self.digests[other][0])
        for other in found.difference(anchored):
            if other != kept:
                kept = self._merge(kept, other)
        return kept

    def _merge(self, one: int, other: int) -> int:
        """Join two groups, renumbering the smaller; returns the group that remains."""
        if len(self.digests[one]) < len(self.digests[other]):
            one, other = other, one
        for digest in self.digests.pop(other):
            self.add(one, digest)
        self.rows[one] += self.rows.pop(other)
        self.buyers[one] |= self.buyers.pop(other)
        return one


def _group(groups: _Groups, group: int, rows: list[int], known: Mapping[str, int]) -> BuyerGroup:
    digests = groups.digests[group]
    buyers = sorted({known[d] for d in digests if d in known})
    apart: dict[int, tuple[int, ...]] = {}
    for index in rows:
        # The groups a row could not join may have been joined to its own by a later row.
        others = {groups.of[d] for d in groups.apart.get(index, ())} - {group}
        if others:
            apart[index] = tuple(sorted(min(groups.buyers[g]) for g in others))
    return BuyerGroup(
        digests=frozenset(digests),
        keep=buyers[0] if buyers else None,
        merge=tuple(buyers[1:]),
        rows=tuple(rows),
        apart=apart,
    )
