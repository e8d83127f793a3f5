"""Identifiers the marketplaces hand out: order ids and buyer keys.

All are pure functions of the seed and an index, unique within a world (the index is
scrambled by a bijection, so ids look random but never collide).
"""

from __future__ import annotations

import hashlib

from custsync.records import MarketplaceKind
from custsync.sandbox.catalog import Account, Marketplace
from custsync.sandbox.people import Person, email_word

_ORDER_PREFIXES = {
    "ATVPDKIKX0DER": ("111", "112", "113", "114"),
    "A2EUQ1WTGCTBG2": ("701", "702"),
    "A1F83G8C2ARO7P": ("202", "203", "204", "205", "206"),
    "A1PA6795UKMFR9": ("302", "303", "304", "305", "306"),
}

AMAZON_BUSINESS_BUYER = {"na": "Amazon.com Services LLC", "eu": "Amazon Business EU SARL"}


def scramble(index: int, seed: int, modulus: int) -> int:
    """A bijection of ``0..modulus-1`` (the multiplier ends in 7: coprime with 10**k)."""
    return (index * 2_862_933_555_777_941_757 + seed * 7_777_777 + 12_345) % modulus


def order_id(index: int, seed: int, account: Account, marketplace: Marketplace) -> str:
    if account.kind is MarketplaceKind.AMAZON:
        number = scramble(index, seed, 10**14)
        prefixes = _ORDER_PREFIXES[marketplace.id]
        prefix = prefixes[number % len(prefixes)]
        return f"{prefix}-{number // 10**7:07d}-{number % 10**7:07d}"
    if account.kind is MarketplaceKind.SHOPIFY:
        return str(5_000_000_000_000 + scramble(index, seed, 10**12))
    digits = f"{scramble(index, seed, 10**12):012d}"
    return f"{digits[:2]}-{digits[2:7]}-{digits[7:]}"


def order_item_base(index: int, seed: int) -> str:
    """The first 12 of the 14 digits of an order's item ids (line number: the last 2)."""
    return f"{scramble(index, seed, 10**12):012d}"


def amazon_alias(seed: int, person: Person, marketplace: Marketplace) -> str:
    """The anonymized buyer e-mail: stable per person and marketplace, unique per person."""
    digest = hashlib.blake2b(f"{seed}:{person.index}:{marketplace.id}".encode(), digest_size=8)
    return f"{digest.hexdigest()[:15]}@{marketplace.email_domain}"


def amazon_business_relay(marketplace: Marketplace) -> str:
    """The shared no-reply address of Amazon Business orders: identifies no one."""
    return f"no-reply-amazon-iba-buyer@{marketplace.email_domain}"


def shopify_customer_id(seed: int, person: Person) -> str:
    return str(6_000_000_000_000 + scramble(person.index, seed, 10**12))


def ebay_username(seed: int, person: Person) -> str:
    """An eBay user name: letters from the name, a unique number."""
    letters = email_word(person.first) + email_word(person.last)
    return f"{letters[:10] or 'ebayer'}_{scramble(person.index, seed, 10**7):07d}"


def buyer_key(seed: int, person: Person, account: Account, marketplace: Marketplace) -> str:
    """The key the marketplace exposes for ``person`` in ``account`` (when it exposes one)."""
    if account.kind is MarketplaceKind.AMAZON:
        return amazon_alias(seed, person, marketplace)
    if account.kind is MarketplaceKind.SHOPIFY:
        return shopify_customer_id(seed, person)
    return ebay_username(seed, person)
