"""How a person shows up on one order: the same human, written a little differently each time.

Variation is drawn from a random stream of its own per order (or per person and account for
the account's profile name), so serving an order never disturbs the world's main streams and
always shows the same text. Hostile names are never varied: they must arrive intact.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from custsync.sandbox.catalog import Account
from custsync.sandbox.names import NICKNAMES, STREET_ABBREVIATIONS
from custsync.sandbox.orders import SimOrder
from custsync.sandbox.people import Address, Person, Trait, ascii_fold


@dataclass(frozen=True, slots=True)
class Contact:
    """Ship-to data as printed on one order (every optional part may be missing)."""

    name: str
    company: str | None
    address_line1: str
    address_line2: str | None
    city: str
    state: str
    postal_code: str
    country_code: str
    phone: str | None


def profile_name(seed: int, person: Person, account: Account) -> str:
    """The name on the person's account: stable for that account, may differ between accounts."""
    rng = Random(f"{seed}:{person.index}:{account.id}:profile")
    if person.is_hostile:
        return person.full_name
    nicknames = NICKNAMES.get(person.first, ())
    if person.has(Trait.NICKNAME) and nicknames and rng.random() < 0.6:
        return f"{nicknames[int(rng.random() * len(nicknames))]} {person.last}"
    draw = rng.random()
    if draw < 0.08:
        return f"{person.last}, {person.first}"
    if draw < 0.13:
        return person.full_name.lower()
    if draw < 0.18:
        return ascii_fold(person.full_name)
    return person.full_name


def profile_parts(seed: int, person: Person, account: Account) -> tuple[str, str]:
    """First and last name as the person typed them into ``account`` (Shopify customer)."""
    if person.is_hostile:
        return person.first, person.last
    rng = Random(f"{seed}:{person.index}:{account.id}:parts")
    first, last = person.first, person.last
    nicknames = NICKNAMES.get(first, ())
    if person.has(Trait.NICKNAME) and nicknames and rng.random() < 0.6:
        first = nicknames[int(rng.random() * len(nicknames))]
    draw = rng.random()
    if draw < 0.05:
        return first.lower(), last.lower()
    if draw < 0.10:
        return ascii_fold(first), ascii_fold(last)
    if draw < 0.13:
        return f" {first}", f"{last} "
    return first, last


def account_email(seed: int, person: Person, account: Account) -> str:
    """The address the person gave ``account``: the main one, or (stably) the second one."""
    second = person.email2
    if second is not None and Random(f"{seed}:{person.index}:{account.id}:email").random() < 0.5:
        return second
    return person.email


def e164(person: Person) -> str | None:
    """The person's phone number in E.164 (``+14155550100``), as Shopify stores it."""
    if person.phone is None:
        return None
    code = {"US": "1", "CA": "1", "GB": "44", "DE": "49"}[person.country]
    return f"+{code}{person.phone}"


def ship_to(seed: int, order: SimOrder) -> Contact:
    """The recipient of ``order``: the address the person had then, in one of its spellings."""
    rng = Random(f"{seed}:{order.number}:ship-to")
    person = order.person
    address = person.address_at(order.created_at_s)
    line1, line2 = _address_lines(rng, address)
    phone = person.phone
    return Contact(
        name=person.full_name if person.is_hostile else vary_name(rng, person.first, person.last),
        company=person.company,
        address_line1=line1,
        address_line2=line2,
        city=address.city.name.upper() if rng.random() < 0.04 else address.city.name,
        state=address.city.state,
        postal_code=_postal_code(rng, address),
        country_code=address.city.country_code,
        phone=format_phone(rng, person.country, phone) if phone and rng.random() < 0.9 else None,
    )


def vary_name(rng: Random, first: str, last: str) -> str:
    """'Robert Smith' as people type it: nickname, 'Smith, Robert', case, accents, typos."""
    draw = rng.random()
    nicknames = NICKNAMES.get(first, ())
    if draw < 0.62:
        return f"{first} {last}"
    if draw < 0.70 and nicknames:
        return f"{nicknames[int(rng.random() * len(nicknames))]} {last}"
    if draw < 0.75:
        return f"{last}, {first}"
    if draw < 0.79:
        return f"{first} {last}".upper()
    if draw < 0.83:
        return f"{first} {last}".lower()
    if draw < 0.87:
        return ascii_fold(f"{first} {last}")
    if draw < 0.91 and len(last) >= 4:
        at = 1 + int(rng.random() * (len(last) - 2))
        return f"{first} {last[:at]}{last[at + 1]}{last[at]}{last[at + 2 :]}"  # swapped letters
    if draw < 0.95:
        return f" {first}  {last} "
    return f"{first[0]}. {last}"


def _address_lines(rng: Random, address: Address) -> tuple[str, str | None]:
    line1 = address.line1()
    if rng.random() < 0.15:
        for long, short in STREET_ABBREVIATIONS:
            line1 = line1.replace(long, short)
    if rng.random() < 0.05:
        line1 = line1.upper()
    if address.unit is None:
        return line1, None
    if rng.random() < 0.3:
        return f"{line1} {address.unit.replace('Apt ', '#')}", None
    return line1, address.unit


def _postal_code(rng: Random, address: Address) -> str:
    code, country = address.postal_code, address.city.country_code
    draw = rng.random()
    if country == "US" and draw < 0.1:
        return f"{code}-{int(rng.random() * 9000) + 1000}"
    if country in ("CA", "GB") and draw < 0.1:
        return code.replace(" ", "")
    if country in ("CA", "GB") and draw < 0.13:
        return code.lower()
    return code


def format_phone(rng: Random, country: str, national: str) -> str:
    """One national number in the formats people use: +1 415-555-0100, (415) 555 0100, ..."""
    if country in ("US", "CA"):
        a, b, c = national[:3], national[3:6], national[6:]
        styles = (f"+1 {a}-{b}-{c}", f"({a}) {b} {c}", national, f"{a}.{b}.{c}", f"+1{national}")
    else:
        code = "44" if country == "GB" else "49"
        area = national[:-7]
        sub = national[-7:]
        styles = (
            f"+{code} {area} {sub[:3]} {sub[3:]}",
            f"0{area} {sub}",
            f"0{area}{sub}",
            f"+{code}{national}",
            f"0{area}/{sub}" if country == "DE" else f"(0{area}) {sub}",
        )
    return styles[int(rng.random() * len(styles))]
