"""G15 billing: CDR pricing per session, and 1,000 sessions ending at once through the gRPC
billing service (durable in an embedded PostgreSQL). Prints one JSON object.

    python -m bench.billing_g15 [--sessions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc


def _engine_ms(runs: int) -> float:
    from chargeplane.domain.billing.cdr import AuthMethod, CdrLocation, TokenType
    from chargeplane.domain.billing.cdr_builder import SessionInfo, build_cdr
    from chargeplane.domain.billing.engine import price
    from chargeplane.domain.billing.tariff import parse_tariff
    from tests.billing import ocpi_examples as ex
    from tests.billing.sessions import AMSTERDAM, Charge, Park, build

    tariff = parse_tariff(ex.COMPLEX)
    loc = CdrLocation.model_validate(
        {"id": "L", "address": "a", "city": "c", "country": "NLD", "coordinates": {"latitude": "52.000000",
         "longitude": "4.000000"}, "evse_uid": "E", "evse_id": "E", "connector_id": "1",
         "connector_standard": "IEC_62196_T2", "connector_format": "SOCKET", "connector_power_type": "AC_3_PHASE"}
    )  # fmt: skip
    info = SessionInfo("tx", "CP", "TOKEN", TokenType.RFID, "C", AuthMethod.WHITELIST, loc)
    # A realistic session: readings every minute for 2 h of charging, then 40 min parked.
    session = build(datetime(2026, 3, 2, 9, 30, tzinfo=AMSTERDAM), *[Charge(1, 0.18, 16) for _ in range(120)], Park(40))
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = price(tariff, session, AMSTERDAM)
        build_cdr(cdr_id="CDR1", country_code="NL", party_id="CPL", info=info, session=session, pricing=p,
                  tariff=tariff, issued_at=datetime.now(UTC))  # fmt: skip
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


async def _service(n: int) -> dict[str, Any]:
    from chargeplane.config import Settings
    from chargeplane.embedded import EmbeddedPostgres
    from chargeplane.pb.billing.v1 import billing_pb2 as pb
    from chargeplane.pb.billing.v1.billing_pb2_grpc import BillingServiceStub
    from chargeplane.runtime import components as c
    from tests.billing.messages import session_pb
    from tests.billing.sessions import Charge, Park, build

    data = Path(tempfile.mkdtemp(prefix="g15-pg-"))
    pg = EmbeddedPostgres(data, durable=True)
    url = await asyncio.to_thread(pg.start)
    try:
        settings = Settings(postgres_url=url, redis_url="redis://unused", grpc_port=0, db_pool_max=20, log_json=False)
        async with contextlib.AsyncExitStack() as stack:
            pool = await c.open_pool(stack, settings)
            srv = c.grpc_server(settings, 0)
            c.add_billing(stack, srv, settings, pool)
            await c.start_grpc(stack, srv)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
                billing = BillingServiceStub(channel)
                body = {"currency": "EUR", "elements": [{"price_components": [
                    {"type": "ENERGY", "price": 0.3, "vat": 21, "step_size": 1},
                    {"type": "PARKING_TIME", "price": 6, "vat": 21, "step_size": 300}]}]}  # fmt: skip
                await billing.PutTariff(pb.PutTariffRequest(tariff_id="G15", ocpi_json=json.dumps(body)))
                await billing.SetTariffAssignment(pb.SetTariffAssignmentRequest(
                    assignment=pb.TariffAssignment(scope=pb.ASSIGNMENT_SCOPE_DEFAULT, tariff_id="G15")))  # fmt: skip
                end = datetime.now(UTC)
                start = end - timedelta(minutes=90)
                sessions = [
                    session_pb(
                        build(start, *[Charge(5, 1) for _ in range(14)], Park(20)),
                        f"g15-{i}",
                        charge_point_id=f"CP-{i}",
                    )
                    for i in range(n)
                ]
                t0 = time.perf_counter()
                out = await asyncio.gather(*(billing.IssueCdr(pb.IssueCdrRequest(session=s)) for s in sessions))
                all_issued = time.perf_counter() - t0
                durable = await pool.fetchval("SELECT count(*) FROM billing_cdrs")
        return {"sessions": n, "all_cdrs_s": round(all_issued, 3), "created": sum(o.created for o in out),
                "durable_rows": durable, "budget_s": 5.0, "ok": all_issued <= 5.0 and durable == n}  # fmt: skip
    finally:
        await asyncio.to_thread(pg.stop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    engine = _engine_ms(args.runs)
    service = asyncio.run(_service(args.sessions))
    print(json.dumps({"benchmark": "G15 billing",
                      "cdr_per_session_ms": {"median": round(engine, 3), "budget": 2.0, "ok": engine <= 2.0},
                      "sessions_ending_at_once": service}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
