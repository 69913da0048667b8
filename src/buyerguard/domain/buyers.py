"""Which buyer a set of identifiers belongs to: identifiers seen together are one person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BuyerGroup:
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
    """Union the digests of each row, and all digests of one known buyer, into groups."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        root = parent.setdefault(item, item)
        while root != parent[root]:
            parent[root] = parent[parent[root]]
            root = parent[root]
        return root

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    buyer_anchor: dict[int, str] = {}
    for digest, buyer_id in known.items():
        union(digest, buyer_anchor.setdefault(buyer_id, digest))
    for row in rows:
        for digest in row[1:]:
            union(row[0], digest)
        find(row[0])

    members: dict[str, set[str]] = {}
    for digest in list(parent):
        members.setdefault(find(digest), set()).add(digest)
    row_groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        row_groups.setdefault(find(row[0]), []).append(index)

    groups = []
    for root, indices in row_groups.items():
        buyers = sorted({known[d] for d in members[root] if d in known})
        groups.append(
            BuyerGroup(
                digests=frozenset(members[root]),
                keep=buyers[0] if buyers else None,
                merge=tuple(buyers[1:]),
                rows=tuple(indices),
            )
        )
    return tuple(groups)
