"""Normalized identity values: names, e-mails, phones and countries (addresses: ``addresses``).

Pure and idempotent: normalizing a normalized value gives it back (property-tested). Values
that identify no one (sentinels, placeholders, junk) normalize to ``None`` or are classified
so callers can refuse to link on them. Display values are never changed here: these forms are
for matching only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import phonenumbers

from custsync.lexicon import (
    COUNTRIES,
    FORMAL_NAMES,
    HONORIFICS,
    PUBLIC_MAIL_DOMAINS,
    PUBLIC_MAIL_PROVIDERS,
    SUFFIXES,
    SURNAME_PARTICLES,
)

_NOT_WORD = re.compile(r"[^\w\s]|_")
_APOSTROPHES = re.compile(r"['’`´ʼ\-‐]")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC, case-folded, accents removed, whitespace collapsed: 'Ms. JOSÉ  Ñ' → 'ms. jose n'."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", stripped).split())


def words(text: str) -> list[str]:
    """Folded words: apostrophes and hyphens join ("o'brien" → "obrien"), other marks split."""
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", fold(text))).split()


# ---------------------------------------------------------------- names


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name for matching. ``first`` may be an initial; either part may be empty
    (one word of unknown role is kept as ``first``; a lone surname, from "Smith," or
    "Mr Smith", as ``last``). Surname particles are joined: "van der Berg" → "vanderberg"."""

    first: str
    middle: tuple[str, ...]
    last: str

    @property
    def key(self) -> str:
        """The name as text that normalizes back to this name."""
        if not self.first:
            return f"{self.last},"
        return " ".join((self.first, *self.middle, self.last)).strip()

    @property
    def is_initial(self) -> bool:
        return len(self.first) == 1

    @property
    def is_partial(self) -> bool:
        """One part only: a lone word of unknown role, or a lone surname."""
        return not self.first or not self.last


@lru_cache(maxsize=65536)
def normalize_name(raw: str | None, *, company: str | None = None) -> PersonName | None:
    """Parse a person's name; ``None`` for empty values and for a company given as the name
    (marketplaces put the business of record there, e.g. Amazon Business orders)."""
    if not raw or not raw.strip():
        return None
    if company and fold(raw) == fold(company):
        return None
    parts = [p for p in (part.strip() for part in raw.split(",")) if p]
    while len(parts) > 1 and all(w in SUFFIXES for w in words(parts[-1])):
        parts.pop()
    if len(parts) >= 2:
        parts = [*parts[1:], parts[0]]  # "Last, First Middle" → "First Middle Last"
    given = words(" ".join(parts))
    tokens = _strip_titles(given)
    if not tokens:
        return None
    surname_only = len(parts) == 1 and raw.strip().endswith(",")
    titled = given[0] in HONORIFICS and len(tokens) == 1
    particles_only = len(tokens) > 1 and all(t in SURNAME_PARTICLES for t in tokens[:-1])
    if surname_only or titled or particles_only:
        last = "".join(tokens)  # "H.R.," is no surname "hr": "Hr" is a title
        return None if last in HONORIFICS or last in SUFFIXES else PersonName("", (), last)
    if len(tokens) == 1:
        return PersonName(tokens[0], (), "")
    return _split(tokens)


def _strip_titles(tokens: list[str]) -> list[str]:
    start, end = 0, len(tokens)
    while start < end and tokens[start] in HONORIFICS:
        start += 1
    while end > start and tokens[end - 1] in SUFFIXES:
        end -= 1
    return tokens[start:end]


def _split(tokens: list[str]) -> PersonName:
    first, middle, last = tokens[0], tokens[1:-1], tokens[-1]
    while middle and middle[-1] in SURNAME_PARTICLES:
        last = middle.pop() + last
    return PersonName(first, tuple(middle), last)


@lru_cache(maxsize=16384)
def first_name_forms(first: str) -> frozenset[str]:
    """The name and every formal name it is a nickname of: 'bob' → {'bob', 'robert'}."""
    return frozenset({first}) | FORMAL_NAMES.get(first, frozenset())


def are_nickname_forms(a: str, b: str) -> bool:
    """True when one first name is a known nickname of the other (or both of one name)."""
    return bool(first_name_forms(a) & first_name_forms(b))


# ---------------------------------------------------------------- e-mails


class EmailKind(StrEnum):
    PERSONAL = "personal"  # identifies a person everywhere
    RELAY = "relay"  # a marketplace alias: identifies a person within one seller account only
    JUNK = "junk"  # a sentinel, placeholder or shared address: identifies no one


_RELAY_DOMAINS = re.compile(r"^(?:[a-z0-9-]+\.)*(?:marketplace\.amazon|members\.ebay)\.[a-z.]+$")
_JUNK_LOCAL_PARTS = frozenset(
    [
        "no-reply-amazon-iba-buyer",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "unknown",
        "none",
        "null",
        "na",
        "n/a",
        "test",
        "invalid",
        "noemail",
        "nomail",
        "no-email",
        "email",
        "mail",
    ]
)
_JUNK_DOMAINS = frozenset(["example.com", "example.org", "example.net"])
# top-level domains reserved so that no mail can reach them (RFC 2606, RFC 6761)
_RESERVED_TLDS = frozenset(["example", "invalid", "localhost", "test"])
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_PLUS_TAG_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "protonmail.com",
        "proton.me",
        "fastmail.com",
    ]
)
_EMAIL = re.compile(r"^[^@\s]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$")


@lru_cache(maxsize=65536)
def normalize_email(raw: str | None) -> str | None:
    """Lower case, trimmed; provider rules only where the provider defines them (Gmail
    ignores dots, several providers drop a ``+tag``). ``None`` for what is not an address."""
    if not raw:
        return None
    cleaned = unicodedata.normalize("NFKC", raw).strip().lower().strip("<>").strip()
    if cleaned.startswith("mailto:"):
        cleaned = cleaned[len("mailto:") :]
    if not _EMAIL.match(cleaned):
        return None
    local, domain = cleaned.rsplit("@", 1)
    domain = "gmail.com" if domain == "googlemail.com" else domain
    if domain in _PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


def email_kind(email: str | None) -> EmailKind:
    """How far ``email`` (raw or normalized) may be trusted as an identity key."""
    normalized = normalize_email(email)
    if normalized is None:
        return EmailKind.JUNK
    local, domain = normalized.rsplit("@", 1)
    reserved = domain in _JUNK_DOMAINS or domain.rsplit(".", 1)[-1] in _RESERVED_TLDS
    if local in _JUNK_LOCAL_PARTS or reserved or local.startswith("no-reply-"):
        return EmailKind.JUNK
    if _RELAY_DOMAINS.match(domain):
        return EmailKind.RELAY
    return EmailKind.PERSONAL


_COUNTRY_SUFFIX = re.compile(r"^(?:[a-z]{2,3}|(?:co|com|net|org)\.[a-z]{2})$")


@lru_cache(maxsize=65536)
def organisation_domain(email: str) -> str | None:
    """The domain of a normalized personal e-mail when it is an organisation's own, not a
    public mail provider's (``gmail.com``, ``yahoo.co.uk``): there, two mailboxes are two
    people who work together (or one person's two roles)."""
    domain = email.rsplit("@", 1)[-1]
    if domain in PUBLIC_MAIL_DOMAINS:
        return None
    provider, _, rest = domain.partition(".")
    if provider in PUBLIC_MAIL_PROVIDERS and _COUNTRY_SUFFIX.match(rest):
        return None
    return domain


def is_relay_email(email: str | None) -> bool:
    return email_kind(email) is EmailKind.RELAY


# ---------------------------------------------------------------- phones and countries

_MIN_DIGITS = 6


@lru_cache(maxsize=65536)
def normalize_phone(raw: str | None, country: str | None = None) -> str | None:
    """E.164 (``+14155550100``); the address country is the default region for national
    numbers. ``None`` for what cannot be a phone number (too short, one repeated digit, or
    written so that its E.164 form reads back as another number: ``+95 0000 0000`` keeps a
    national-prefix zero that re-reading drops)."""
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    if len(digits) < _MIN_DIGITS or len(set(digits)) == 1:
        return None
    region = normalize_country(country) if country else None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if raw.lstrip().startswith("+") and e164 == f"+{digits}":
        return e164  # written as it reads: reading it again gives the same number
    again = phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.E164
    )
    return e164 if again == e164 else None


def normalize_country(raw: str | None) -> str | None:
    """ISO 3166-1 alpha-2 from a code or a common name ('Deutschland' → 'DE', 'UK' → 'GB')."""
    if not raw:
        return None
    folded = fold(raw).replace(".", "").strip()
    if folded in COUNTRIES:
        return COUNTRIES[folded]
    if len(folded) == 2 and folded.isascii() and folded.isalpha():
        return folded.upper()
    return None
