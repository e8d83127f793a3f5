"""Buyers into customers: union-find over links, with operator overrides and two guards.

Order: operator merges first (they override everything), then strong links (e-mail, phone,
name + address above ``STRONG_SCORE``) by rank and score, then weak name + address links.
Guards:
- never join two groups holding a conflicting pair (two different first names behind one
  phone or one house: a household), unless an operator said so (a buyer in an operator merge
  has no conflicts);
- a weak link may add a single buyer to a group, but joins two groups of several buyers only
  when at least two weak links cross between them (no chaining through one weak pair);
- a buyer linked about as well to two people kept apart (a buyer with no name behind a
  household's shared phone) joins neither.
An operator split takes a buyer out of automatic linking altogether (later merges still count).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.identity import Link
from custsync.pipeline.scoring import STRONG_SCORE, Rule

MIN_WEAK_CROSSINGS = 2
AMBIGUITY_MARGIN = 4.0  # bits: a buyer this close to two people who conflict joins neither


@dataclass(frozen=True, slots=True)
class OverrideAction:
    """``merge``: these buyers are one person; ``split``: this buyer stands alone."""

    action: str
    buyers: frozenset[BuyerRef]


@dataclass(frozen=True, slots=True)
class Overrides:
    merge_groups: tuple[frozenset[BuyerRef], ...] = ()
    isolated: frozenset[BuyerRef] = frozenset()


def fold_overrides(actions: Iterable[OverrideAction]) -> Overrides:
    """Operator actions in the order given (oldest first): a later split undoes earlier
    merges for its buyer; a later merge includes a split buyer again."""
    groups: list[set[BuyerRef]] = []
    isolated: set[BuyerRef] = set()
    for action in actions:
        if action.action == "split":
            groups = [group - action.buyers for group in groups]
            isolated |= action.buyers
        else:
            groups.append(set(action.buyers))
    kept = tuple(frozenset(g) for g in groups if len(g) > 1)
    return Overrides(kept, frozenset(isolated))


class _Forest:
    """Union-find with member lists (groups are small: a person's buyers)."""

    def __init__(self, nodes: Iterable[BuyerRef]) -> None:
        self.parent = {node: node for node in nodes}
        self.members = {node: [node] for node in self.parent}

    def find(self, node: BuyerRef) -> BuyerRef:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: BuyerRef, b: BuyerRef) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if (len(self.members[ra]), rb) < (len(self.members[rb]), ra):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] += self.members.pop(rb)


def cluster(
    nodes: Iterable[BuyerRef], links: Iterable[Link], overrides: Overrides = Overrides()
) -> list[tuple[BuyerRef, ...]]:
    """The customers (sorted buyer tuples, sorted by first buyer) of ``nodes``."""
    forest = _Forest(nodes)
    conflicts: dict[BuyerRef, set[BuyerRef]] = {}
    strong: list[Link] = []
    weak: list[Link] = []
    vouched = {ref for group in overrides.merge_groups for ref in group}
    for link in links:
        if link.a not in forest.parent or link.b not in forest.parent:
            continue
        if link.a in overrides.isolated or link.b in overrides.isolated:
            continue
        if not link.is_link and (link.a in vouched or link.b in vouched):
            continue  # an operator vouched for these buyers' names: no conflict holds
        if not link.is_link:
            conflicts.setdefault(link.a, set()).add(link.b)
            conflicts.setdefault(link.b, set()).add(link.a)
        elif link.rule is not Rule.NAME_ADDRESS or link.score >= STRONG_SCORE:
            strong.append(link)
        else:
            weak.append(link)
    ambiguous = _ambiguous(strong + weak, conflicts)
    strong = [link for link in strong if (link.a, link.b) not in ambiguous]
    weak = [link for link in weak if (link.a, link.b) not in ambiguous]
    for group in overrides.merge_groups:
        present = sorted(ref for ref in group if ref in forest.parent)
        for ref in present[1:]:
            forest.union(present[0], ref)
    for link in sorted(strong, key=_strength):
        if not _conflicting(forest, conflicts, link.a, link.b):
            forest.union(link.a, link.b)
    _join_weak(forest, conflicts, sorted(weak, key=_strength))
    groups = (tuple(sorted(members)) for members in forest.members.values())
    return sorted(groups)


def _ambiguous(
    links: Sequence[Link], conflicts: dict[BuyerRef, set[BuyerRef]]
) -> set[tuple[BuyerRef, BuyerRef]]:
    """Links of a buyer to two partners who conflict, scored within the margin."""
    partners: dict[BuyerRef, list[tuple[BuyerRef, Link]]] = {}
    for link in links:
        partners.setdefault(link.a, []).append((link.b, link))
        partners.setdefault(link.b, []).append((link.a, link))
    dropped: set[tuple[BuyerRef, BuyerRef]] = set()
    for found in partners.values():
        for index, (p, one) in enumerate(found):
            for q, two in found[index + 1 :]:
                close = abs(one.score - two.score) < AMBIGUITY_MARGIN
                if q in conflicts.get(p, ()) and one.rule is two.rule and close:
                    dropped |= {(one.a, one.b), (two.a, two.b)}
    return dropped


def _strength(link: Link) -> tuple[int, float, BuyerRef, BuyerRef]:
    return (link.rule.rank, -link.score, link.a, link.b)


def _conflicting(
    forest: _Forest, conflicts: dict[BuyerRef, set[BuyerRef]], a: BuyerRef, b: BuyerRef
) -> bool:
    ra, rb = forest.find(a), forest.find(b)
    if ra == rb:
        return False
    small, other = sorted((ra, rb), key=lambda r: len(forest.members[r]))
    for member in forest.members[small]:
        for enemy in conflicts.get(member, ()):
            if forest.find(enemy) == other:
                return True
    return False


def _join_weak(
    forest: _Forest, conflicts: dict[BuyerRef, set[BuyerRef]], weak: Sequence[Link]
) -> None:
    neighbours: dict[BuyerRef, list[BuyerRef]] = {}
    for link in weak:
        neighbours.setdefault(link.a, []).append(link.b)
        neighbours.setdefault(link.b, []).append(link.a)
    for link in weak:
        ra, rb = forest.find(link.a), forest.find(link.b)
        if ra == rb or _conflicting(forest, conflicts, ra, rb):
            continue
        sizes = (len(forest.members[ra]), len(forest.members[rb]))
        if min(sizes) > 1 and _crossings(forest, neighbours, ra, rb) < MIN_WEAK_CROSSINGS:
            continue
        forest.union(ra, rb)


def _crossings(
    forest: _Forest, neighbours: dict[BuyerRef, list[BuyerRef]], ra: BuyerRef, rb: BuyerRef
) -> int:
    return sum(
        1
        for member in forest.members[ra]
        for other in neighbours.get(member, ())
        if forest.find(other) == rb
    )


def components(nodes: Iterable[BuyerRef], links: Iterable[Link]) -> list[tuple[BuyerRef, ...]]:
    """Connected components over every non-conflict link (what a recomputation must cover)."""
    forest = _Forest(nodes)
    for link in links:
        if link.is_link and link.a in forest.parent and link.b in forest.parent:
            forest.union(link.a, link.b)
    return sorted(tuple(sorted(m)) for m in forest.members.values())


def apart_reason(
    first: Collection[BuyerRef],
    second: Collection[BuyerRef],
    links: Sequence[Link],
    overrides: Overrides = Overrides(),
) -> str | None:
    """Why ``cluster`` keeps two customers (their buyers) apart although a link crosses
    between them; ``None`` when none does. ``links``: every link of their buyers and of
    those buyers' partners (a buyer's ambiguity involves the partners' conflicts). Looks at
    the links as ``cluster`` does: none of an operator's split buyer, no conflict of a buyer
    in an operator's merge."""
    mine, theirs = set(first), set(second)
    cross = [x for x in links if {x.a, x.b} & mine and {x.a, x.b} & theirs]
    linked = [x for x in cross if x.is_link]
    if not linked:
        return None
    counted = [x for x in linked if not {x.a, x.b} & overrides.isolated]
    if not counted:
        split = sorted({_text(r) for x in linked for r in (x.a, x.b) if r in overrides.isolated})
        return f"an operator took {', '.join(split)} out of automatic linking (customers split)"
    conflicts = _conflicts(links, overrides)
    for x in cross:
        if x.b in conflicts.get(x.a, ()):
            return (
                f"{_text(x.a)} and {_text(x.b)} are two people kept apart, and a customer"
                " never joins one holding a buyer kept apart from one of its own"
            )
    usable = [x for x in links if x.is_link and not {x.a, x.b} & overrides.isolated]
    ambiguous = _ambiguous(usable, conflicts)
    clear = [x for x in counted if (x.a, x.b) not in ambiguous]
    if not clear:
        return (
            "the buyer linking them is linked about as well to two people kept apart,"
            " so it joins neither"
        )
    if all(_is_weak(x) for x in clear) and min(len(mine), len(theirs)) > 1:
        return (
            f"only weak name + address links cross between them ({len(clear)}, each under"
            f" {STRONG_SCORE:.0f} bits), and weak links join two customers of several buyers"
            f" only when {MIN_WEAK_CROSSINGS} cross"
        )
    return "nothing in the links keeps them apart: the next refresh of their buyers joins them"


def _conflicts(links: Iterable[Link], overrides: Overrides) -> dict[BuyerRef, set[BuyerRef]]:
    """The pairs kept apart that ``cluster`` holds to, each way."""
    vouched = {ref for group in overrides.merge_groups for ref in group}
    conflicts: dict[BuyerRef, set[BuyerRef]] = {}
    for x in links:
        if not x.is_link and not {x.a, x.b} & (overrides.isolated | vouched):
            conflicts.setdefault(x.a, set()).add(x.b)
            conflicts.setdefault(x.b, set()).add(x.a)
    return conflicts


def _text(ref: BuyerRef) -> str:
    return f"{ref[0]}:{ref[1]}"


def _is_weak(link: Link) -> bool:
    return link.rule is Rule.NAME_ADDRESS and link.score < STRONG_SCORE
