"""Price a session message: find its tariff version and time zone, then run the engine."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from chargeplane.domain.billing.costing import Pricing
from chargeplane.domain.billing.engine import price
from chargeplane.domain.billing.errors import SessionInvalid
from chargeplane.domain.billing.session import Session
from chargeplane.domain.billing.tariff import Tariff, parse_tariff
from chargeplane.pb.billing.v1 import billing_pb2 as pb
from chargeplane.rpc.errors import InvalidArgument

from .convert import session_of
from .metrics import PRICING_ERRORS, PRICING_SECONDS
from .tariffs import TariffStore, TariffVersion, zone

# Priced when no tariff applies: a session is free, and its CDR says it had no tariff.
NO_TARIFF = parse_tariff(
    {
        "country_code": "ZZ",
        "party_id": "ZZZ",
        "id": "none",
        "currency": "EUR",
        "last_updated": "2000-01-01T00:00:00Z",
        "elements": [{"price_components": [{"type": "FLAT", "price": 0, "step_size": 0}]}],
    }
)


@dataclass(frozen=True, slots=True)
class Priced:
    session: Session
    version: TariffVersion | None
    time_zone: str
    pricing: Pricing

    @property
    def tariff(self) -> Tariff | None:
        return None if self.version is None else self.version.tariff


async def tariff_for(store: TariffStore, s: pb.Session, started_at: datetime) -> tuple[TariffVersion | None, str]:
    """The pinned version of this transaction, else the one assignments give at its start."""
    pinned = await store.pinned(s.transaction_id)
    if pinned is not None:
        return pinned
    site_zone, _ = await store.site(s.site_id) if s.site_id else (store.settings.billing_time_zone, {})
    version, _assignment = await store.resolve(s.site_id, s.charge_point_id, s.evse_id, s.id_token_group, started_at)
    return version, s.time_zone or site_zone


def run(session: Session, version: TariffVersion | None, tz: ZoneInfo, now: datetime | None = None) -> Pricing:
    tariff = NO_TARIFF if version is None else version.tariff
    started = time.perf_counter()
    try:
        pricing = price(tariff, session, tz, now=now)
    except SessionInvalid as exc:
        PRICING_ERRORS.labels(reason="session").inc()
        raise InvalidArgument(f"session: {exc}") from None
    except Exception:
        PRICING_ERRORS.labels(reason="engine").inc()
        raise
    PRICING_SECONDS.observe(time.perf_counter() - started)
    if version is None:
        pricing.currency = "EUR"
    return pricing


async def priced(store: TariffStore, s: pb.Session, *, require_end: bool, now: datetime | None = None) -> Priced:
    session = session_of(s, require_end=require_end)
    version, tz_name = await tariff_for(store, s, session.started_at)
    tz = zone(tz_name)
    return Priced(session, version, tz_name, run(session, version, tz, now))
