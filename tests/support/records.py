"""Small builders for canonical records in tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from custsync.records import AccountId, BuyerInfo, BuyerKey, Order, OrderLine, OrderStatus


def order(
    order_id: str = "111-0000000-0000001",
    *,
    account: str = "acct",
    buyer: str | None = "a@marketplace.amazon.com",
    status: OrderStatus = OrderStatus.SHIPPED,
    total: str = "10.00",
    currency: str = "USD",
    updated: datetime | None = None,
    purchased: datetime | None = None,
    qty: int = 1,
    discount: str = "0",
    codes: tuple[str, ...] = (),
    name: str | None = "Ann Buyer",
) -> Order:
    purchased = purchased or datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    updated = updated or purchased
    source = f'{{"id": "{order_id}", "status": "{status.value}", "total": "{total}", '
    source += f'"updated": "{updated.isoformat()}"}}'
    return Order(
        account_id=AccountId(account),
        marketplace="ATVPDKIKX0DER",
        order_id=order_id,
        buyer_key=BuyerKey(buyer) if buyer else None,
        status=status,
        purchased_at=purchased,
        updated_at=updated,
        currency=currency,
        total=Decimal(total),
        lines=(OrderLine("L1", "SKU-1", "Thing", qty, Decimal(total), Decimal(discount), codes),),
        buyer=BuyerInfo(name=name, postal_code="10001", country_code="US"),
        source=source,
    )
