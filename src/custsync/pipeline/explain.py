"""Why two buyers are or are not one person, told from the same parts the resolution uses.

``explain_pair`` answers for one pair of buyers: never compared (no usable blocking key in
common, ``identity``), compared and linked or kept apart (``scoring.compare``), or compared
without a link (``scoring.why_no_link``). ``link_verdict`` tells a stored link the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from custsync.pipeline.identity import Link, is_usable_block, most_holders
from custsync.pipeline.profiles import KEY_KINDS, BuyerProfile, blocking_keys
from custsync.pipeline.scoring import OWN_MAILBOXES, Evidence, Rule, compare, why_no_link
from custsync.pipeline.states import KeyStates


class Outcome(StrEnum):
    LINKED = "linked"
    KEPT_APART = "kept apart"
    NO_LINK = "no link"
    NOT_COMPARED = "never compared"

    @property
    def rank(self) -> int:
        """Closest first: how the pairs of two customers are listed."""
        return list(Outcome).index(self)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    reason: str  # empty for a link
    rule: Rule | None = None
    score: float | None = None
    evidence: Evidence = ()


def explain_pair(
    a: BuyerProfile, b: BuyerProfile, states: KeyStates, counts: Mapping[str, int]
) -> Verdict:
    """How the resolution sees ``a`` and ``b``; ``counts``: how many buyers hold each
    blocking key the two share (a key missing there is held by these two only)."""
    shared = blocking_keys(a) & blocking_keys(b)
    if not any(is_usable_block(key, states.get(key, 0)) for key in shared):
        return Verdict(Outcome.NOT_COMPARED, _unblocked(shared, counts))
    scored = compare(a, b, states)
    if scored is None:
        short = why_no_link(a, b, states)
        return Verdict(Outcome.NO_LINK, short.reason, score=short.score, evidence=short.evidence)
    outcome = Outcome.LINKED if scored.is_link else Outcome.KEPT_APART
    reason = "" if scored.is_link else _apart_reason(scored.rule, scored.evidence)
    return Verdict(outcome, reason, scored.rule, scored.score, scored.evidence)


def link_verdict(link: Link) -> Verdict:
    """A stored link or kept-apart pair, told as ``explain_pair`` tells one."""
    if link.is_link:
        return Verdict(Outcome.LINKED, "", link.rule, link.score, link.evidence)
    reason = _apart_reason(link.rule, link.evidence)
    return Verdict(Outcome.KEPT_APART, reason, link.rule, link.score, link.evidence)


_BEHIND = {
    Rule.EMAIL: "behind one e-mail",
    Rule.PHONE: "behind one phone",
    Rule.NAME_ADDRESS: "in one house",
}


def _apart_reason(rule: Rule, evidence: Evidence) -> str:
    office = dict(evidence).get("email", "")
    if office.startswith(OWN_MAILBOXES):
        return f"colleagues: {office}, with names of two people"
    behind = _BEHIND.get(rule, "behind one e-mail, phone or house")
    return f"two people {behind}: their first names differ"


def _unblocked(shared: Collection[str], counts: Mapping[str, int]) -> str:
    """Why a pair was never compared: nothing in common that blocking uses, or only values
    held by too many buyers to say anything (a shop's phone, a common name in a city)."""
    if not shared:
        return "no e-mail, phone, house, street or name in one place in common"
    common = sorted({(_kind(key), counts.get(key, 2), most_holders(key)) for key in shared})
    held = ", ".join(f"{kind} held by {n} buyers (up to {most} count)" for kind, n, most in common)
    return f"what they share is too common to compare on: {held}"


def _kind(key: str) -> str:
    return KEY_KINDS.get(key[0], "a value")
