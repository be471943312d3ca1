"""Assemble OCPI 2.2.1 CDRs from a priced session, and their Credit CDRs.

Amounts are published rounded to the currency's minor unit (money.py); the CDR also keeps
the exact session snapshot elsewhere (the billing service stores it) so a repricing can
start from the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .cdr import AuthMethod, Cdr, CdrLocation, CdrToken, SignedData, TokenType
from .costing import Cost, Pricing
from .engine import charging_periods
from .money import amount, to_decimal, volume
from .ocpi_types import Price
from .session import Session
from .tariff import Tariff


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What a CDR says about a session besides its volumes."""

    transaction_id: str
    charge_point_id: str
    id_token: str
    token_type: TokenType
    contract_id: str
    auth_method: AuthMethod
    location: CdrLocation
    meter_id: str | None = None
    signed_data: SignedData | None = None
    remark: str | None = None


def _price(cost: Cost, currency: str) -> Price:
    return Price(
        excl_vat=amount(cost.excl, currency),
        incl_vat=None if cost.incl is None else amount(cost.incl, currency),
    )


def _optional(cost: Cost, currency: str, used: bool) -> Price | None:
    return _price(cost, currency) if used else None


def build_cdr(
    *,
    cdr_id: str,
    country_code: str,
    party_id: str,
    info: SessionInfo,
    session: Session,
    pricing: Pricing,
    tariff: Tariff | None,
    issued_at: datetime,
) -> Cdr:
    """The CDR of an ended session priced with `tariff` (None: no tariff applied, free)."""
    if session.ended_at is None:
        raise ValueError("a CDR is issued for an ended session")
    currency = pricing.currency
    tariff_id = tariff.id if tariff is not None else None
    reservation = session.reservation
    start = reservation.reserved_at if reservation is not None else session.started_at
    periods = charging_periods(pricing, session.started_at, tariff_id)
    s = pricing.segments
    return Cdr(
        country_code=country_code,
        party_id=party_id,
        id=cdr_id,
        start_date_time=start,
        end_date_time=session.ended_at,
        session_id=info.transaction_id[:36],
        cdr_token=CdrToken(
            country_code=country_code,
            party_id=party_id,
            uid=info.id_token[:36] or "UNKNOWN",
            type=info.token_type,
            contract_id=(info.contract_id or info.id_token or "UNKNOWN")[:36],
        ),
        auth_method=info.auth_method,
        cdr_location=info.location,
        meter_id=info.meter_id,
        currency=currency,
        tariffs=[tariff] if tariff is not None else [],
        charging_periods=periods,
        signed_data=info.signed_data,
        total_cost=_price(pricing.total, currency),
        total_fixed_cost=_optional(pricing.fixed, currency, any(x.flat for x in s)),
        total_energy=volume(pricing.energy_kwh),
        total_energy_cost=_optional(pricing.energy, currency, any(x.energy for x in s)),
        total_time=volume(pricing.session_s / 3600),
        total_time_cost=_optional(pricing.time, currency, any(x.time for x in s if x.kind.value == "SESSION")),
        total_parking_time=volume(pricing.parking_s / 3600),
        total_parking_cost=_optional(pricing.parking, currency, any(x.parking for x in s)),
        total_reservation_cost=_optional(pricing.reservation, currency, reservation is not None),
        remark=(info.remark or None) if info.remark is None else info.remark[:255],
        last_updated=issued_at,
    )


def credit_cdr(original: Cdr, credit_id: str, issued_at: datetime) -> Cdr:
    """The Credit CDR of `original`: all its data, `credit` set, and (mod_cdrs: "Only the
    values in the total_cost field SHALL contain the negative amounts") total_cost negated."""
    body: dict[str, Any] = original.model_dump()
    total = original.total_cost
    body.update(
        id=credit_id,
        credit=True,
        credit_reference_id=original.id,
        total_cost=Price(excl_vat=-total.excl_vat, incl_vat=None if total.incl_vat is None else -total.incl_vat),
        last_updated=issued_at,
    )
    return Cdr.model_validate(body)


def vat_lines(pricing: Pricing) -> list[dict[str, str | None]]:
    """The VAT breakdown of a CDR: per rate (percent; None: unknown) its base excl. VAT,
    to 6 decimals (an invoice sums the bases of a rate and rounds its VAT once)."""
    out: list[dict[str, str | None]] = []
    for rate, base in sorted(pricing.vat_bases.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        out.append(
            {"rate": None if rate is None else str(to_decimal(rate, 6).normalize()), "base": str(to_decimal(base, 6))}
        )
    return out
