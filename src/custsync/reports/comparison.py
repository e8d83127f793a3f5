"""What ``customers compare`` prints: text lines, or a JSON-ready dict."""

from __future__ import annotations

from collections import Counter

from custsync.comparison import BuyerPair, Comparison, Side
from custsync.pipeline.explain import Outcome
from custsync.reports.detail import ordered_evidence
from custsync.wording import many

_MARKS = {
    Outcome.LINKED: "↔",
    Outcome.KEPT_APART: "≠",
    Outcome.NO_LINK: "·",
    Outcome.NOT_COMPARED: " ",
}


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
        lines += _pair_lines(pair)
    if rest := Counter(p.verdict.outcome for p in pairs[shown:]):
        counted = ", ".join(f"{n} {outcome}" for outcome, n in sorted(rest.items()))
        lines.append(f"  and {many(sum(rest.values()), 'more pair')}: {counted}")
    lines += [
        "",
        "If they are one person, this makes them one customer for good:",
        f"  custsync customers merge {one.customer_id} {two.customer_id}",
    ]
    return lines


def _label(side: Side) -> str:
    name = side.name or "(no name)"
    moved = f", now part of {side.customer_id}" if side.asked != side.customer_id else ""
    return f"{side.asked} ({name}, {many(len(side.buyers), 'buyer')}{moved})"


def _pair_lines(pair: BuyerPair) -> list[str]:
    v = pair.verdict
    head = f"  {_ref(pair.a)} {_MARKS[v.outcome]} {_ref(pair.b)}  {v.outcome}"
    if v.rule is not None and v.score is not None:
        head += f" (rule {v.rule}, score {v.score:.2f})"
    found = ([("why", v.reason)] if v.reason else []) + ordered_evidence(dict(v.evidence), v.rule)
    return [head, *(f"      {field}: {text}" for field, text in found)]


def comparison_json(comparison: Comparison) -> dict[str, object]:
    return {
        "first": _side_json(comparison.first),
        "second": _side_json(comparison.second),
        "one_customer": comparison.is_one,
        "kept_apart_by_clustering": comparison.apart,
        "pairs": [
            {
                "a": _ref(p.a),
                "b": _ref(p.b),
                "outcome": str(p.verdict.outcome),
                "reason": p.verdict.reason or None,
                "rule": None if p.verdict.rule is None else str(p.verdict.rule),
                "score": p.verdict.score,
                "evidence": dict(p.verdict.evidence),
            }
            for p in comparison.pairs
        ],
    }


def _side_json(side: Side) -> dict[str, object]:
    return {
        "asked": side.asked,
        "customer_id": side.customer_id,
        "name": side.name,
        "buyers": [_ref(ref) for ref in side.buyers],
    }


def _ref(ref: tuple[str, str]) -> str:
    return f"{ref[0]}:{ref[1]}"
