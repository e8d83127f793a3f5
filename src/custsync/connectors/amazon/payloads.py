"""Pydantic models of the Orders API v2026-01-01 (searchOrders, getOrder); unknown keys ignored.

Responses are parsed in two steps: the envelope keeps each order as raw JSON (so one bad order
becomes a reject with its payload, not a failed page), then ``OrderPayload`` validates one order.
Amazon's camelCase names map to snake_case attributes.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

JsonObject = dict[str, object]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class Money(_Model):
    amount: Decimal
    currency_code: str | None = None


class Breakdown(_Model):
    type: str | None = None
    subtotal: Money | None = None


class Proceeds(_Model):
    grand_total: Money | None = None
    breakdowns: list[Breakdown] = Field(default_factory=list)


class ItemProceeds(_Model):
    proceeds_total: Money | None = None
    breakdowns: list[Breakdown] = Field(default_factory=list)


class Price(_Model):
    unit_price: Money | None = None


class Product(_Model):
    asin: str | None = None
    title: str | None = None
    seller_sku: str | None = None
    price: Price | None = None


class PromotionBreakdown(_Model):
    promotion_id: str | None = None


class Promotion(_Model):
    breakdowns: list[PromotionBreakdown] = Field(default_factory=list)


class OrderItem(_Model):
    order_item_id: str
    quantity_ordered: int
    product: Product | None = None
    proceeds: ItemProceeds | None = None
    promotion: Promotion | None = None


class SalesChannel(_Model):
    channel_name: str | None = None
    marketplace_id: str | None = None
    marketplace_name: str | None = None


class Buyer(_Model):
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_company_name: str | None = None


class DeliveryAddress(_Model):
    name: str | None = None
    company_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    city: str | None = None
    district_or_county: str | None = None
    state_or_region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


class Recipient(_Model):
    delivery_address: DeliveryAddress | None = None


class Fulfillment(_Model):
    fulfillment_status: str | None = None
    fulfilled_by: str | None = None


class OrderPayload(_Model):
    """One order as searchOrders/getOrder return it (with the includedData we ask for)."""

    order_id: str | None = None
    created_time: str | None = None
    last_updated_time: str | None = None
    sales_channel: SalesChannel | None = None
    buyer: Buyer | None = None
    recipient: Recipient | None = None
    proceeds: Proceeds | None = None
    fulfillment: Fulfillment | None = None
    order_items: list[OrderItem] = Field(default_factory=list)


class Pagination(_Model):
    next_token: str | None = None


class SearchOrdersResponse(_Model):
    orders: list[JsonObject] = Field(default_factory=list)
    pagination: Pagination | None = None
    last_updated_before: str | None = None
    created_before: str | None = None

    @property
    def next_token(self) -> str | None:
        token = self.pagination.next_token if self.pagination else None
        return token or None


class GetOrderResponse(_Model):
    order: JsonObject


def describe_validation_error(exc: ValidationError) -> str:
    """Where and what, without the offending values (they may be buyer PII)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)
    )
