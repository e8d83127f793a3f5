"""The sandbox seller: its four accounts, their marketplaces, the products and the promotions.

Everything here is fixed data (ids are contracts: tests and the ground truth name them).
Prices are kept in minor units (cents) of the marketplace currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from custsync.records import AccountId, MarketplaceKind

CURRENCY_EXPONENT = {"USD": 2, "CAD": 2, "GBP": 2, "EUR": 2, "JPY": 0}


def to_money(minor: int, currency: str) -> Decimal:
    """Minor units → ``Decimal`` quantized to the currency (``1234`` USD → ``12.34``)."""
    return Decimal(minor).scaleb(-CURRENCY_EXPONENT[currency])


@dataclass(frozen=True, slots=True)
class Marketplace:
    """Where an order is placed; ``id`` is what the ground truth calls the marketplace."""

    id: str
    name: str
    country_code: str
    currency: str
    email_domain: str = ""  # Amazon relay domain, e.g. marketplace.amazon.de
    tax_rate_pct: float = 0.0
    fx_from_usd: float = 1.0


@dataclass(frozen=True, slots=True)
class Account:
    id: AccountId
    kind: MarketplaceKind
    name: str
    marketplaces: tuple[Marketplace, ...]
    region: str | None = None

    @property
    def marketplace_ids(self) -> tuple[str, ...]:
        return tuple(marketplace.id for marketplace in self.marketplaces)


US = Marketplace("ATVPDKIKX0DER", "Amazon.com", "US", "USD", "marketplace.amazon.com", 7.0, 1.0)
CA = Marketplace("A2EUQ1WTGCTBG2", "Amazon.ca", "CA", "CAD", "marketplace.amazon.ca", 13.0, 1.36)
UK = Marketplace(
    "A1F83G8C2ARO7P", "Amazon.co.uk", "GB", "GBP", "marketplace.amazon.co.uk", 20.0, 0.79
)
DE = Marketplace("A1PA6795UKMFR9", "Amazon.de", "DE", "EUR", "marketplace.amazon.de", 19.0, 0.92)
SHOPIFY = Marketplace("shopify", "Shopify", "US", "USD", "", 6.0, 1.0)
EBAY_US = Marketplace("EBAY_US", "eBay US", "US", "USD", "", 6.0, 1.0)

AMAZON_NA = Account(
    AccountId("amazon-na"), MarketplaceKind.AMAZON, "Amazon North America", (US, CA), "na"
)
AMAZON_EU = Account(AccountId("amazon-eu"), MarketplaceKind.AMAZON, "Amazon Europe", (UK, DE), "eu")
SHOPIFY_STORE = Account(
    AccountId("shopify-store"), MarketplaceKind.SHOPIFY, "Shopify store", (SHOPIFY,)
)
EBAY = Account(AccountId("ebay-us"), MarketplaceKind.EBAY, "eBay US", (EBAY_US,))

ACCOUNTS: tuple[Account, ...] = (AMAZON_NA, AMAZON_EU, SHOPIFY_STORE, EBAY)
AMAZON_ACCOUNTS: tuple[Account, ...] = (AMAZON_NA, AMAZON_EU)
ACCOUNT_BY_ID = {account.id: account for account in ACCOUNTS}


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    asin: str
    title: str
    price_usd_cents: int


def _product(index: int, sku: str, title: str, price_usd_cents: int) -> Product:
    return Product(sku, f"B0{index:08d}", title, price_usd_cents)


PRODUCTS: tuple[Product, ...] = tuple(
    _product(i, sku, title, price)
    for i, (sku, title, price) in enumerate(
        (
            ("MUG-CER-12OZ", "Ceramic Coffee Mug, 12 oz, Matte Black", 1499),
            ("MUG-CER-16OZ", "Ceramic Coffee Mug, 16 oz, Speckled White", 1799),
            ("TEA-TIN-EARL", "Earl Grey Loose Leaf Tea, 250 g Tin", 1299),
            ("TEA-TIN-GREEN", "Sencha Green Tea, 200 g Tin", 1399),
            ("KTL-GOOSE-1L", "Gooseneck Pour-Over Kettle, 1 L, Stainless", 4999),
            ("DRP-V60-02", 'Pour-Over Dripper "02", Ceramic', 2499),
            ("FLT-PAPER-100", "Paper Filters, Pack of 100", 699),
            ("GRD-BURR-MAN", "Manual Burr Grinder, Adjustable", 6999),
            ("SCL-DIGI-01", "Digital Coffee Scale with Timer", 2999),
            ("BTL-GLASS-750", "Glass Water Bottle, 750 ml, with Sleeve", 2199),
            ("TWL-LINEN-2PK", "Linen Tea Towels, 2-Pack, Oatmeal", 1999),
            ("CST-CORK-6PK", "Cork Coasters, Set of 6", 1299),
            ("CND-SOY-CEDAR", "Soy Candle, Cedar & Smoke, 8 oz", 2499),
            ("BWL-STONE-4PK", "Stoneware Bowls, Set of 4", 4499),
            ("SPN-WOOD-3PK", "Olive Wood Spoons, 3-Pack", 1899),
            ("APR-CANVAS-01", "Canvas Apron with Pockets, Navy", 3299),
            ("TRY-SERV-OAK", "Oak Serving Tray, 18 in", 3999),
            ("JAR-GLASS-1L", "Glass Storage Jars, 1 L, Set of 3", 2799),
            ("BRD-CUT-BAMB", "Bamboo Cutting Board, Large", 2599),
            ("KNF-PARING-3", "Paring Knife, 3.5 in, German Steel", 2299),
            ("OIL-OLIVE-500", "Extra Virgin Olive Oil, 500 ml", 1699),
            ("SLT-FLAKE-250", "Flaky Sea Salt, 250 g", 899),
            ("HNY-RAW-350", "Raw Wildflower Honey, 350 g", 1199),
            ("CHC-DARK-70", "Dark Chocolate 70 %, 6 Bars", 2399),
            ("GFT-BOX-DLX", "Deluxe Gift Box: Tea, Honey & Mug", 5999),
            ("PRS-FRENCH-8C", "French Press, 8 Cup, Borosilicate", 3499),
            ("CUP-ESPR-4PK", "Espresso Cups with Saucers, Set of 4", 2699),
            ("STR-MILK-01", "Milk Frother, Handheld, Rechargeable", 1999),
            ("BAG-TOTE-JUTE", "Jute Market Tote", 1599),
            ("LMP-DESK-LED", "LED Desk Lamp, Dimmable, Walnut Base", 7999),
        )
    )
)


@dataclass(frozen=True, slots=True)
class Promotion:
    code: str
    percent_off: int


PROMOTIONS: tuple[Promotion, ...] = (
    Promotion("WELCOME10", 10),
    Promotion("SPRING15", 15),
    Promotion("SUMMER20", 20),
    Promotion("BACK2SCHOOL", 10),
    Promotion("BLACKFRIDAY25", 25),
    Promotion("CYBER30", 30),
    Promotion("HOLIDAY20", 20),
    Promotion("LOYAL5", 5),
    Promotion("FREESHIP", 0),
    Promotion("VIP40", 40),
)

PROMOTION_BY_CODE = {promotion.code: promotion for promotion in PROMOTIONS}


def is_shipping_promo(code: str | None) -> bool:
    """Whether the discount of ``code`` is on shipping (free shipping) rather than items."""
    return code is not None and PROMOTION_BY_CODE[code].percent_off == 0
