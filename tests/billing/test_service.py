"""The billing gRPC service on a real server and database: tariffs, assignment, CDRs."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import asyncpg
import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from chargeplane.pb.billing.v1 import billing_pb2 as pb

from .messages import session_pb, stamp
from .sessions import AMSTERDAM, Charge, Park, build

if TYPE_CHECKING:
    from chargeplane.pb.billing.v1.billing_pb2_grpc import BillingServiceAsyncStub

TARIFF: dict[str, Any] = {
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": 0.40, "vat": 21, "step_size": 1}],
         "restrictions": {"start_time": "18:00", "end_time": "22:00"}},
        {"price_components": [{"type": "ENERGY", "price": 0.30, "vat": 21, "step_size": 1},
                              {"type": "TIME", "price": 1.20, "vat": 21, "step_size": 60},
                              {"type": "PARKING_TIME", "price": 6.00, "vat": 21, "step_size": 300}]},
    ],
}  # fmt: skip
START = datetime(2026, 3, 2, 17, 30, tzinfo=AMSTERDAM)  # a Monday; the session crosses 18:00


async def put(billing: BillingServiceAsyncStub, tariff_id: str, body: dict[str, Any]) -> pb.PutTariffResponse:
    return await billing.PutTariff(pb.PutTariffRequest(tariff_id=tariff_id, ocpi_json=json.dumps(body), actor="test"))


async def setup_site(billing: BillingServiceAsyncStub, tariff: dict[str, Any] = TARIFF) -> None:
    await put(billing, "T1", tariff)
    await billing.UpsertSite(pb.UpsertSiteRequest(site_id="site-A", time_zone="Europe/Amsterdam"))
    await billing.SetTariffAssignment(
        pb.SetTariffAssignmentRequest(
            assignment=pb.TariffAssignment(scope=pb.ASSIGNMENT_SCOPE_SITE, site_id="site-A", tariff_id="T1")
        )
    )


def session(tx: str = "tx-1", **fields: Any) -> pb.Session:
    return session_pb(build(START, Charge(60, 20), Park(20)), tx, site_id="site-A", **fields)


async def test_cdr_matches_a_hand_computation_to_the_cent(billing: BillingServiceAsyncStub) -> None:
    await setup_site(billing)
    out = await billing.IssueCdr(pb.IssueCdrRequest(session=session()))
    assert out.created
    cdr = json.loads(out.cdr.ocpi_json)
    # Energy 10 kWh x 0.30 before 18:00 + 10 kWh x 0.40 after; 60 min x 1.20/h charging (not
    # rounded: parking follows); 20 min x 6.00/h parking; VAT 21% on each.
    assert cdr["total_energy_cost"] == {"excl_vat": 7.0, "incl_vat": 8.47}
    assert cdr["total_time_cost"] == {"excl_vat": 1.2, "incl_vat": 1.45}
    assert cdr["total_parking_cost"] == {"excl_vat": 2.0, "incl_vat": 2.42}
    assert cdr["total_cost"] == {"excl_vat": 10.2, "incl_vat": 12.34}
    assert (cdr["total_energy"], cdr["total_time"], cdr["total_parking_time"]) == (20, 1.3333, 0.3333)
    assert [p["start_date_time"] for p in cdr["charging_periods"]] == [
        "2026-03-02T16:30:00Z", "2026-03-02T17:00:00Z", "2026-03-02T17:30:00Z"
    ]  # fmt: skip
    assert cdr["tariffs"][0]["id"] == "T1" and cdr["country_code"] == "NL" and cdr["party_id"] == "CPL"
    assert cdr["cdr_location"]["evse_uid"] == "CP-1*1"
    assert out.cdr.id == "CDR0000000001" and out.cdr.number == 1


async def test_retries_and_concurrent_duplicates_give_one_cdr(
    billing: BillingServiceAsyncStub, db: asyncpg.Pool
) -> None:
    await setup_site(billing)
    calls = [billing.IssueCdr(pb.IssueCdrRequest(session=session(f"tx-{i % 5}"))) for i in range(25)]
    results = await asyncio.gather(*calls)
    assert sum(r.created for r in results) == 5
    by_tx: dict[str, set[str]] = {}
    for r in results:
        by_tx.setdefault(r.cdr.transaction_id, set()).add(r.cdr.id)
    assert all(len(ids) == 1 for ids in by_tx.values())
    numbers = sorted(await db.fetchval("SELECT array_agg(number) FROM billing_cdrs"))
    assert numbers == [1, 2, 3, 4, 5]  # gap-free although 20 issuers lost the race
    again = await billing.IssueCdr(pb.IssueCdrRequest(session=session("tx-3")))
    assert not again.created and again.cdr.id in by_tx["tx-3"]


async def test_a_tariff_change_does_not_reprice_a_started_session(billing: BillingServiceAsyncStub) -> None:
    await setup_site(billing)
    opened = await billing.OpenSession(pb.OpenSessionRequest(session=session(ended=False)))
    assert (opened.tariff.id, opened.tariff.version, opened.currency) == ("T1", 1, "EUR")
    doubled = json.loads(json.dumps(TARIFF).replace("0.3", "0.6"))
    changed = await put(billing, "T1", doubled)
    assert changed.new_version and changed.tariff.version == 2
    cdr = await billing.IssueCdr(pb.IssueCdrRequest(session=session()))
    assert (cdr.cdr.tariff_id, cdr.cdr.tariff_version, cdr.cdr.total_cost.excl_vat) == ("T1", 1, "10.20")
    # A session that starts after the change is priced with the new version.
    after = session_pb(build(datetime.now(UTC) + timedelta(seconds=1), Charge(60, 20)), "tx-2", site_id="site-A")
    later = await billing.IssueCdr(pb.IssueCdrRequest(session=after))
    assert later.cdr.tariff_version == 2


async def test_running_cost_so_far(billing: BillingServiceAsyncStub) -> None:
    await setup_site(billing)
    running = session(ended=False)
    cost = await billing.RunningCost(pb.RunningCostRequest(session=running, at=stamp(START + timedelta(minutes=30))))
    # 10 kWh at 0.30 and 30 min at 1.20/h.
    assert (cost.total.excl_vat, cost.energy.excl_vat, cost.time.excl_vat, cost.currency) == (
        "3.60",
        "3.00",
        "0.60",
        "EUR",
    )


async def test_putting_the_same_body_makes_no_version_and_invalid_fields_are_named(
    billing: BillingServiceAsyncStub,
) -> None:
    first = await put(billing, "T1", TARIFF)
    again = await put(billing, "T1", TARIFF)
    assert first.new_version and not again.new_version and again.tariff.version == 1
    bad = json.loads(json.dumps(TARIFF))
    bad["elements"][1]["price_components"][2]["step_size"] = -5
    bad["currency"] = "euro"
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await put(billing, "T1", bad)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(info.value)
    assert status is not None
    violations = error_details_pb2.BadRequest()
    status.details[0].Unpack(violations)
    assert {v.field for v in violations.field_violations} == {"currency", "elements[1].price_components[2].step_size"}


async def test_most_specific_assignment_wins(billing: BillingServiceAsyncStub) -> None:
    for name in ("DEFAULT", "SITE", "CP", "EVSE", "MEMBERS"):
        await put(billing, name, TARIFF)
    scopes: list[tuple[pb.AssignmentScope.ValueType, dict[str, Any], str]] = [
        (pb.ASSIGNMENT_SCOPE_DEFAULT, {}, "DEFAULT"),
        (pb.ASSIGNMENT_SCOPE_SITE, {"site_id": "site-A"}, "SITE"),
        (pb.ASSIGNMENT_SCOPE_CHARGE_POINT, {"charge_point_id": "CP-2"}, "CP"),
        (pb.ASSIGNMENT_SCOPE_EVSE, {"charge_point_id": "CP-3", "evse_id": 2}, "EVSE"),
        (pb.ASSIGNMENT_SCOPE_SITE, {"site_id": "site-A", "id_token_group": "members"}, "MEMBERS"),
    ]
    for scope, where, tariff in scopes:
        a = pb.TariffAssignment(scope=scope, tariff_id=tariff, **where)
        await billing.SetTariffAssignment(pb.SetTariffAssignmentRequest(assignment=a))

    async def resolved(**fields: Any) -> str:
        s = pb.Session(transaction_id="x", charge_point_id="CP-9", started_at=stamp(datetime.now(UTC)))
        for k, v in fields.items():
            setattr(s, k, v)
        return (await billing.ResolveTariff(pb.ResolveTariffRequest(session=s))).tariff.id

    assert await resolved() == "DEFAULT"
    assert await resolved(site_id="site-A") == "SITE"
    assert await resolved(site_id="site-A", id_token_group="members") == "MEMBERS"
    assert await resolved(site_id="site-A", charge_point_id="CP-2", id_token_group="members") == "CP"
    assert await resolved(site_id="site-A", charge_point_id="CP-3", evse_id=2) == "EVSE"
    assert await resolved(site_id="site-A", charge_point_id="CP-3", evse_id=1) == "SITE"


async def test_cdrs_are_immutable_in_the_database(billing: BillingServiceAsyncStub, db: asyncpg.Pool) -> None:
    await setup_site(billing)
    await billing.IssueCdr(pb.IssueCdrRequest(session=session()))
    for statement in (
        "UPDATE billing_cdrs SET total_excl_vat = 0",
        "DELETE FROM billing_cdrs",
        "UPDATE billing_tariff_versions SET body = '{}'",
        "TRUNCATE billing_cdrs CASCADE",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
            await db.execute(statement)


async def test_reprice_is_a_credit_and_a_new_cdr_and_is_audited(
    billing: BillingServiceAsyncStub, db: asyncpg.Pool
) -> None:
    await setup_site(billing)
    original = (await billing.IssueCdr(pb.IssueCdrRequest(session=session()))).cdr
    fixed = json.loads(json.dumps(TARIFF).replace("6.0", "3.0"))  # the parking price was wrong
    await put(billing, "T1", fixed)
    out = await billing.RepriceCdr(
        pb.RepriceCdrRequest(cdr_id=original.id, reason="parking price typo", actor="ops@cpo")
    )
    credit = json.loads(out.credit.ocpi_json)
    assert (credit["id"], credit["credit"], credit["credit_reference_id"]) == (original.id + "-C", True, original.id)
    assert credit["total_cost"] == {"excl_vat": -10.2, "incl_vat": -12.34}
    assert credit["total_energy_cost"] == {"excl_vat": 7.0, "incl_vat": 8.47}  # only total_cost is negated
    assert (out.replacement.total_cost.excl_vat, out.replacement.tariff_version) == ("9.20", 2)
    assert [out.credit.number, out.replacement.number] == [2, 3]
    audit = await db.fetchrow("SELECT action, actor, reason FROM billing_audit")
    assert audit is not None
    assert tuple(audit) == ("reprice", "ops@cpo", "parking price typo")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await billing.RepriceCdr(pb.RepriceCdrRequest(cdr_id=original.id, reason="again", actor="ops"))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    unchanged = await billing.GetCdr(pb.GetCdrRequest(cdr_id=original.id))
    assert unchanged.cdr.ocpi_json == original.ocpi_json


async def test_list_cdrs_filters_and_pages(billing: BillingServiceAsyncStub) -> None:
    await setup_site(billing)
    for i in range(5):
        s = session_pb(build(START + timedelta(hours=i), Charge(30, 5)), f"tx-{i}", site_id="site-A",
                       charge_point_id="CP-1" if i % 2 else "CP-2")  # fmt: skip
        await billing.IssueCdr(pb.IssueCdrRequest(session=s))
    seen, token = [], ""
    while True:
        page = await billing.ListCdrs(pb.ListCdrsRequest(page_size=2, page_token=token))
        seen += [c.transaction_id for c in page.cdrs]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["tx-4", "tx-3", "tx-2", "tx-1", "tx-0"]
    only = await billing.ListCdrs(pb.ListCdrsRequest(charge_point_id="CP-1"))
    assert [c.transaction_id for c in only.cdrs] == ["tx-3", "tx-1"]
    by_tx = await billing.ListCdrs(pb.ListCdrsRequest(transaction_id="tx-2"))
    assert [c.transaction_id for c in by_tx.cdrs] == ["tx-2"]
    window = await billing.ListCdrs(
        pb.ListCdrsRequest(ended_from=stamp(START + timedelta(hours=1)), ended_to=stamp(START + timedelta(hours=3)))
    )
    assert [c.transaction_id for c in window.cdrs] == ["tx-2", "tx-1"]


async def test_bad_session_is_invalid_argument(billing: BillingServiceAsyncStub) -> None:
    s = session()
    s.ended_at.CopyFrom(stamp(START - timedelta(hours=1)))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await billing.IssueCdr(pb.IssueCdrRequest(session=s))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ends before it starts" in (info.value.details() or "")


async def test_no_tariff_gives_a_free_cdr(billing: BillingServiceAsyncStub) -> None:
    out = await billing.IssueCdr(pb.IssueCdrRequest(session=session()))
    cdr = json.loads(out.cdr.ocpi_json)
    assert cdr["total_cost"]["excl_vat"] == 0 and cdr["tariffs"] == [] and Decimal(out.cdr.total_cost.excl_vat) == 0
