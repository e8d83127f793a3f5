"""What ``customers compare`` prints (two customers, or one and its neighbours): text lines,
or a JSON-ready dict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from custsync.comparison import BuyerPair, Comparison, Neighbourhood, Side
from custsync.pipeline.explain import Outcome, Verdict
from custsync.reports.detail import ordered_evidence
from custsync.store.identity import ref_text
from custsync.wording import many

_MARKS = {
    Outcome.LINKED: "↔",
    Outcome.KEPT_APART: "≠",
    Outcome.NO_LINK: "·",
    Outcome.NOT_COMPARED: " ",
}
_MERGE = "If they are one person, this makes them one customer for good:"


def comparison_lines(comparison: Comparison, *, shown: int) -> list[str]:
    """The text; at most ``shown`` pairs in full, the others counted by outcome."""
    one, two = comparison.first, comparison.second
    if comparison.is_one:
        return [f"{_label(one)} and {_label(two)} are one customer: {one.customer_id}"]
    lines = [f"{_label(one)} and {_label(two)} are two customers."]
    if comparison.apart:
        lines.append(f"A link joins their buyers, yet they stay apart: {comparison.apart}")
    pairs = comparison.pairs
    lines += ["", f"Pairs of their buyers, closest first ({len(pairs)})"]
    for pair in pairs[:shown]:
        lines.append(f"  {_pair(pair)}  {pair.verdict.outcome}{_score(pair.verdict)}")
        lines += _findings(pair.verdict)
    lines += _rest([p.verdict for p in pairs[shown:]], "pair")
    merge = f"custsync customers merge {one.customer_id} {two.customer_id}"
    return [*lines, "", _MERGE, f"  {merge}"]


def neighbourhood_lines(found: Neighbourhood, *, shown: int) -> list[str]:
    """The text for one customer: the ``shown`` closest others in full, the rest counted."""
    me, near = found.customer, found.neighbours
    if not near:
        return [
            f"{_label(me)}: no other customer's buyers were compared with its buyers (they",
            "share nothing that blocking looks at, or only values too common to compare on)",
        ]
    lines = [f"{_label(me)}: {many(len(near), 'customer')} compared with it, closest first"]
    for neighbour in near[:shown]:
        verdict = neighbour.closest.verdict
        lines.append(f"  {_label(neighbour.side)}: {verdict.outcome}{_score(verdict)}")
        lines.append(f"      {_pair(neighbour.closest)}")
        lines += _findings(verdict)
    lines += _rest([n.closest.verdict for n in near[shown:]], "customer")
    every = f"custsync customers compare {me.customer_id} {near[0].side.customer_id}"
    return [*lines, "", "Every pair of their buyers, for two customers:", f"  {every}"]


def _label(side: Side) -> str:
    name = side.name or "(no name)"
    moved = f", now part of {side.customer_id}" if side.asked != side.customer_id else ""
    return f"{side.asked} ({name}, {many(len(side.buyers), 'buyer')}{moved})"


def _pair(pair: BuyerPair) -> str:
    return f"{ref_text(pair.a)} {_MARKS[pair.verdict.outcome]} {ref_text(pair.b)}"


def _score(verdict: Verdict) -> str:
    if verdict.score is None:
        return ""
    rule = f"rule {verdict.rule}, " if verdict.rule else ""
    return f" ({rule}score {verdict.score:.2f})"


def _findings(verdict: Verdict) -> list[str]:
    found = [("why", verdict.reason)] if verdict.reason else []
    found += ordered_evidence(dict(verdict.evidence), verdict.rule)
    return [f"      {field}: {text}" for field, text in found]


def _rest(verdicts: Sequence[Verdict], thing: str) -> list[str]:
    """``  and 3 more pairs: 1 no link, 2 never compared`` (nothing when none is left)."""
    if not verdicts:
        return []
    counted = Counter(v.outcome for v in verdicts)
    by_outcome = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counted.items()))
    return [f"  and {many(len(verdicts), 'more ' + thing)}: {by_outcome}"]


def comparison_json(comparison: Comparison) -> dict[str, object]:
    return {
        "first": _side_json(comparison.first),
        "second": _side_json(comparison.second),
        "one_customer": comparison.is_one,
        "kept_apart_by_clustering": comparison.apart,
        "pairs": [_pair_json(p) for p in comparison.pairs],
    }


def neighbourhood_json(found: Neighbourhood) -> dict[str, object]:
    return {
        "customer": _side_json(found.customer),
        "neighbours": [
            {
                "customer": _side_json(n.side),
                "compared_pairs": n.compared,
                "closest": _pair_json(n.closest),
            }
            for n in found.neighbours
        ],
    }


def _pair_json(pair: BuyerPair) -> dict[str, object]:
    v = pair.verdict
    return {
        "a": ref_text(pair.a),
        "b": ref_text(pair.b),
        "outcome": str(v.outcome),
        "reason": v.reason or None,
        "rule": None if v.rule is None else str(v.rule),
        "score": v.score,
        "evidence": dict(v.evidence),
    }


def _side_json(side: Side) -> dict[str, object]:
    return {
        "asked": side.asked,
        "customer_id": side.customer_id,
        "name": side.name,
        "buyers": [ref_text(ref) for ref in side.buyers],
    }
