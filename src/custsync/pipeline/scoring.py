"""Comparing two buyer profiles: which rule links them, with what score and evidence.

Rules, strongest first: a shared personal e-mail (or a relay alias within its own account),
a shared E.164 phone, then the same person by name + address evidence. The score is a match
weight in bits (Fellegi–Sunter style): each field adds what its agreement says and subtracts
what its disagreement says; agreeing on a value is worth about log2(buyers / buyers holding
it) (``names.value_bits``), so "John Smith, Main Street" counts for less than a rare name.
Name + address needs the same house besides the name, so namesakes elsewhere never link
(records with typos: a nearby place, see below). Beside a shared e-mail or phone, which links
on its own, a value's weight counts how common it is only up to a few holders
(``states.CappedStates``): the score orders such links, and a common name's count crossing a
power of two would otherwise rescore every link its holders share a phone by.

Households: a shared phone, e-mail or house does not link two people whose first names
conflict; the pair is returned as kept apart (``is_link`` False) and clustering never joins
them. Where an account's records are noisy (typed by hand: ``policy``), first names are no
longer trusted that far and a conflict only costs weight (``tolerant_key`` in the states),
unless the surnames differ too and each has an e-mail of its own: colleagues sharing an
office's phone and address stay apart. Mailboxes of their own at one organisation's domain
(``normalize.organisation_domain``) keep apart two buyers whose names are not one person's
(the first names conflict, or both surnames differ), under either policy; mailboxes at two
organisations (each buyer has one at an organisation's domain, and they share none) weigh
against name + address evidence, as different phones do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from custsync.pipeline.names import NameMatch, alike, compare_names, similar
from custsync.pipeline.normalize import organisation_domain
from custsync.pipeline.places import AddressMatch, Part, address_pairs, any_placed, best_address
from custsync.pipeline.prefilter import surely_unrelated
from custsync.pipeline.profiles import BuyerProfile
from custsync.pipeline.states import CappedStates, KeyStates, tolerant_key

LINK_THRESHOLD = 12.0  # name + address evidence needed to link
STRONG_SCORE = 17.0  # a name + address link this good stands on its own
SHARED_KEY_WEIGHT = 20.0
TWO_ORGANISATIONS = -5.0  # e-mails at two organisations (a different phone weighs -4)
MIN_NAME_BITS = 6.0  # where names are trusted, name + address needs both name parts to agree
OWN_MAILBOXES = "mailboxes of their own at"  # the e-mail evidence of colleagues kept apart


class Rule(StrEnum):
    OVERRIDE = "override"
    EMAIL = "email"
    PHONE = "phone"
    NAME_ADDRESS = "name_address"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Rule.OVERRIDE: 0, Rule.EMAIL: 1, Rule.PHONE: 2, Rule.NAME_ADDRESS: 3}


Evidence = tuple[tuple[str, str], ...]  # (field, what was found)


class NoLink(NamedTuple):
    """Why a compared pair has no outcome (``why_no_link``)."""

    reason: str
    evidence: Evidence
    score: float | None = None  # what the evidence adds up to (``None``: nothing to weigh)


@dataclass(frozen=True, slots=True)
class PairScore:
    """``is_link`` False: kept apart. The last three flags do not depend on the name policy:
    ``is_sure`` (a link whichever the policy) and ``has_typos`` are what it is learnt from."""

    rule: Rule
    score: float
    evidence: Evidence  # for ``--why``
    is_link: bool = True
    names_conflict: bool = False
    is_sure: bool = False
    has_typos: bool = False


_NO_NAME = NameMatch(0.0, "no name to compare", False)


def compare(a: BuyerProfile, b: BuyerProfile, states: KeyStates) -> PairScore | None:
    """How ``a`` and ``b`` relate under the accounts' name policy; ``None``: nothing to record."""
    strict, tolerant = compare_both(a, b, states, both=False)
    return tolerant if is_tolerant(a, b, states) else strict


def surely_nothing(a: BuyerProfile, b: BuyerProfile, states: KeyStates) -> bool:
    """Whether ``compare`` surely finds nothing to record, told from the values alone (no
    weight is read, at less than half the cost of comparing): neighbours that are two
    people, under strict first names."""
    return not is_tolerant(a, b, states) and _shared_keys(a, b) is None and surely_unrelated(a, b)


def compare_both(
    a: BuyerProfile, b: BuyerProfile, states: KeyStates, *, both: bool = True
) -> tuple[PairScore | None, PairScore | None]:
    """The outcome with strict first names and with tolerant ones (the second only when
    ``both`` or when the states say the pair is tolerant), sharing the work."""
    shared = _shared_keys(a, b)
    if shared is None and not _may_meet(a, b):
        return None, None  # no place or phone in common: not worth comparing further
    if shared is not None:
        states = CappedStates(states)  # how common a value is counts only below the cap
    pairs = address_pairs(a, b, states)
    phone = _phone_evidence(a, b)
    if shared is None and not phone[2] and not any_placed(pairs):
        return None, None  # no pair of addresses places them, so neither does the best
    address = best_address(pairs, states)
    placed = address.is_same_place or address.is_near_place
    if shared is None and not placed and not phone[2]:
        return None, None
    strict, tolerant = _best_names(a, b, states)
    if both:
        return (
            _decide(a, b, shared, strict, address, phone=phone, tolerant=False),
            _decide(a, b, shared, tolerant, address, phone=phone, tolerant=True),
        )
    if is_tolerant(a, b, states):
        return None, _decide(a, b, shared, tolerant, address, phone=phone, tolerant=True)
    return _decide(a, b, shared, strict, address, phone=phone, tolerant=False), None


def why_no_link(a: BuyerProfile, b: BuyerProfile, states: KeyStates) -> NoLink:
    """Why ``compare`` records nothing for ``a`` and ``b`` (when it returns ``None``): the
    check that stops it (every one, for name + address evidence), what each field found, and
    what the evidence adds up to once the pair has a place or a phone to compare. Walks
    ``compare``'s steps with the same parts, so it cannot tell another story than the score."""
    if _shared_keys(a, b) is not None:
        raise ValueError("a pair sharing an e-mail or a phone always has an outcome")
    if not _may_meet(a, b):
        return NoLink("no house number, city or postal code in common, and no phones alike", ())
    pairs = address_pairs(a, b, states)
    phone = _phone_evidence(a, b)
    address = best_address(pairs, states)
    tolerant = is_tolerant(a, b, states)
    name = _best_names(a, b, states)[1 if tolerant else 0]
    email_w, email_note = _email_evidence(a, b)
    found = (("name", name.note), ("address", address.note), ("phone", phone[1]))
    evidence = tuple((f, note) for f, note in (*found, ("email", email_note or "")) if note)
    total = round(name.weight + address.weight + phone[0] + email_w, 2)
    office = _colleagues(a, b, name)
    if not ((any_placed(pairs) and (address.is_same_place or address.is_near_place)) or phone[2]):
        reason = "none of their addresses is in the same place or a nearby one"
    elif office is not None:
        reason = f"{OWN_MAILBOXES} {office} with names of two people"
    elif name.is_conflict and not _forgiven(a, b, name, tolerant=tolerant):
        reason = "their first names are two people's, and they share no house"
    else:
        reason = _short_of_link(name, address, phone, total, tolerant=tolerant)
    return NoLink(reason, evidence, total)


def _short_of_link(
    name: NameMatch, address: AddressMatch, phone: Part, total: float, *, tolerant: bool
) -> str:
    """What name + address evidence lacks to link (``_name_address``'s checks)."""
    lacking = []
    if total < LINK_THRESHOLD:
        lacking.append(f"the evidence adds up to {total:.2f} bits, a link needs {LINK_THRESHOLD}")
    if name.weight < MIN_NAME_BITS and not tolerant:
        lacking.append(
            f"the names agree for {name.weight:.2f} bits, a link needs {MIN_NAME_BITS:.2f}"
            " (first name and surname)"
        )
    placed = address.is_same_house or (
        tolerant and (address.is_same_place or address.is_near_place)
    )
    if not placed and phone[0] <= 0:
        lacking.append("not the same house, and no phones alike")
    return "; ".join(lacking)


def _decide(
    a: BuyerProfile,
    b: BuyerProfile,
    shared: tuple[Rule, tuple[str, str]] | None,
    name: NameMatch,
    address: AddressMatch,
    *,
    phone: Part,
    tolerant: bool,
) -> PairScore | None:
    office = _colleagues(a, b, name)
    apart = office is not None or (
        name.is_conflict and not _forgiven(a, b, name, tolerant=tolerant)
    )
    why = (("email", f"{OWN_MAILBOXES} {office}"),) if office else ()
    if shared is not None:
        rule, note = shared
        evidence = (note, ("name", name.note), ("address", address.note), *why)
        typos = name.is_fuzzy or address.is_fuzzy
        if apart:
            return PairScore(rule, name.weight, evidence, False, name.is_conflict, False, typos)
        score = round(SHARED_KEY_WEIGHT + name.weight + max(address.weight, 0), 2)
        sure = not name.is_conflict
        return PairScore(rule, score, evidence, True, name.is_conflict, sure, typos)
    if apart:
        if not address.is_same_house:
            return None
        evidence = (("name", name.note), ("address", address.note), *why)
        return PairScore(Rule.NAME_ADDRESS, name.weight, evidence, False, name.is_conflict)
    return _name_address(a, b, name, address, phone=phone, tolerant=tolerant)


def _forgiven(a: BuyerProfile, b: BuyerProfile, name: NameMatch, *, tolerant: bool) -> bool:
    """Whether a first-name conflict lets the pair be one person: only under tolerant first
    names, and not when the surnames differ too and each buyer has an e-mail of its own
    (colleagues sharing an office's phone and address)."""
    if not tolerant:
        return False
    return name.surname_agrees or not _own_emails(a, b)


def _colleagues(a: BuyerProfile, b: BuyerProfile, name: NameMatch) -> str | None:
    """The organisation's domain where ``a`` and ``b`` each have a mailbox of their own while
    their names are not one person's (the first names conflict, or both surnames are given
    and differ): colleagues, whatever phone or address they share."""
    if not (name.is_conflict or name.surnames_differ) or not _own_emails(a, b):
        return None
    return min(_organisations(a) & _organisations(b), default=None)


def _own_emails(a: BuyerProfile, b: BuyerProfile) -> bool:
    """Whether both buyers have personal e-mails and share none."""
    return bool(a.emails and b.emails and not set(a.emails) & set(b.emails))


def is_tolerant(a: BuyerProfile, b: BuyerProfile, states: KeyStates) -> bool:
    """First names are not trusted when both buyers come from noisy accounts."""
    return bool(states.get(tolerant_key(a.account_id)) and states.get(tolerant_key(b.account_id)))


def _name_address(
    a: BuyerProfile,
    b: BuyerProfile,
    name: NameMatch,
    address: AddressMatch,
    *,
    phone: Part,
    tolerant: bool,
) -> PairScore | None:
    phone_w, phone_note, phone_fuzzy = phone
    email_w, email_note = _email_evidence(a, b)
    total = round(name.weight + address.weight + phone_w + email_w, 2)
    has_name = name.weight >= MIN_NAME_BITS or tolerant
    placed = address.is_same_house or (
        tolerant and (address.is_same_place or address.is_near_place)
    )
    if total < LINK_THRESHOLD or not has_name or not (placed or phone_w > 0):
        return None
    mailboxes = (("email", email_note),) if email_note else ()
    evidence = (("name", name.note), ("address", address.note), ("phone", phone_note), *mailboxes)
    sure = total >= STRONG_SCORE and not name.is_conflict and name.weight >= MIN_NAME_BITS
    sure = sure and (address.is_same_house or phone_w > 0)
    typos = name.is_fuzzy or address.is_fuzzy or phone_fuzzy
    return PairScore(Rule.NAME_ADDRESS, total, evidence, True, name.is_conflict, sure, typos)


def _may_meet(a: BuyerProfile, b: BuyerProfile) -> bool:
    """A cheap test that passes every pair the address or phone could place together."""
    for x in a.addresses:
        for y in b.addresses:
            if x.house_number and x.house_number == y.house_number:
                return True
            if x.city and y.city and alike(x.city, y.city):
                return True
            if x.postal_code and y.postal_code and similar(x.postal_code, y.postal_code, edits=1):
                return True
    return _has_near_phone(a, b)


def _best_names(a: BuyerProfile, b: BuyerProfile, states: KeyStates) -> tuple[NameMatch, NameMatch]:
    """The best name match with strict first names and the best with tolerant ones."""
    strict: NameMatch | None = None
    tolerant: NameMatch | None = None
    for x in a.names:
        for y in b.names:
            one, two = compare_names(x, y, states)
            if strict is None or one.weight > strict.weight:
                strict = one
            if tolerant is None or two.weight > tolerant.weight:
                tolerant = two
    return strict or _NO_NAME, tolerant or _NO_NAME


def _shared_keys(a: BuyerProfile, b: BuyerProfile) -> tuple[Rule, tuple[str, str]] | None:
    email = _first_common(a.emails, b.emails)
    if email is None and a.account_id == b.account_id:
        email = _first_common(a.relay_emails, b.relay_emails)
    if email is not None:
        return Rule.EMAIL, ("email", f"same e-mail {email}")
    phone = _first_common(a.phones, b.phones)
    if phone is not None:
        return Rule.PHONE, ("phone", f"same phone {phone}")
    return None


def _first_common(xs: Sequence[str], ys: Sequence[str]) -> str | None:
    """The smallest value in both, if any."""
    found: str | None = None
    for x in xs:
        if x in ys and (found is None or x < found):
            found = x
    return found


def _phone_evidence(a: BuyerProfile, b: BuyerProfile) -> Part:
    """Phones one digit apart (agreement only through a typo: the third element) or not."""
    if not a.phones or not b.phones:
        return 0.0, "no phone to compare", False
    if _has_near_phone(a, b):
        return 6.0, "phones one digit apart", True
    return -4.0, "different phones", False


def _has_near_phone(a: BuyerProfile, b: BuyerProfile) -> bool:
    for x in a.phones:
        for y in b.phones:
            if len(x) == len(y) and similar(x, y, edits=1, jaro=False):
                return True
    return False


def _email_evidence(a: BuyerProfile, b: BuyerProfile) -> tuple[float, str | None]:
    """Two buyers with e-mails of their own (none shared): people have several mailboxes, so
    that says little, unless each has one at an organisation and never the same one: they
    work at two organisations (namesakes at two companies on one street)."""
    if not (a.emails and b.emails):
        return 0.0, None
    ours, theirs = _organisations(a), _organisations(b)
    if ours and theirs and not ours & theirs:
        return TWO_ORGANISATIONS, f"mailboxes at two organisations, {min(ours)} and {min(theirs)}"
    return -1.0, None


def _organisations(profile: BuyerProfile) -> set[str]:
    return {domain for email in profile.emails if (domain := organisation_domain(email))}
