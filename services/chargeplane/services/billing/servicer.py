"""The BillingService gRPC servicer: requests in, stores and engine called, messages out."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
import grpc
import orjson
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from chargeplane.config import Settings
from chargeplane.domain.billing.assignment import Assignment, Scope
from chargeplane.domain.billing.errors import TariffInvalid
from chargeplane.pb.billing.v1 import billing_pb2 as pb
from chargeplane.pb.billing.v1 import billing_pb2_grpc as pb_grpc
from chargeplane.rpc.errors import InvalidArgument, translate_errors

from .cdrs import CdrStore, cdr_pb
from .convert import decode_cursor, encode_cursor, price_pb, session_of, time_of, ts
from .invoices import InvoiceStore
from .payments import PaymentStore, payment_pb_fields
from .pricing import priced
from .tariffs import TariffStore, TariffVersion
from .webhooks import WebhookStore

DEFAULT_PAGE, MAX_PAGE = 100, 1000
_SCOPES = {
    pb.ASSIGNMENT_SCOPE_DEFAULT: Scope.DEFAULT,
    pb.ASSIGNMENT_SCOPE_SITE: Scope.SITE,
    pb.ASSIGNMENT_SCOPE_CHARGE_POINT: Scope.CHARGE_POINT,
    pb.ASSIGNMENT_SCOPE_EVSE: Scope.EVSE,
}
_SCOPE_PB = {v: k for k, v in _SCOPES.items()}
_R = TypeVar("_R")


def tariff_errors(handler: Callable[..., Awaitable[_R]]) -> Callable[..., Awaitable[_R]]:
    """TariffInvalid -> INVALID_ARGUMENT with a google.rpc.BadRequest naming each field."""

    @functools.wraps(handler)
    async def rpc(self: Any, request: Any, context: Any) -> _R:
        try:
            return await handler(self, request, context)
        except TariffInvalid as exc:
            detail = any_pb2.Any()
            detail.Pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=p.path, description=p.message)
                        for p in exc.problems
                    ]
                )
            )
            status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=str(exc), details=[detail])
            await context.abort_with_status(rpc_status.to_status(status))
            raise AssertionError("abort_with_status returned") from None

    return rpc


def _page(size: int) -> int:
    if size < 0:
        raise InvalidArgument("page_size must not be negative")
    return min(size or DEFAULT_PAGE, MAX_PAGE)


def tariff_pb(v: TariffVersion) -> pb.Tariff:
    return pb.Tariff(
        id=v.tariff.id,
        version=v.version,
        ocpi_json=orjson.dumps(v.tariff.ocpi()).decode(),
        created_at=ts(v.created_at),
        deleted=v.deleted,
    )


def assignment_of(a: pb.TariffAssignment) -> Assignment:
    if a.scope not in _SCOPES:
        raise InvalidArgument("assignment.scope is required")
    return Assignment(_SCOPES[a.scope], a.tariff_id, a.site_id, a.charge_point_id, a.evse_id, a.id_token_group)


def assignment_pb(a: Assignment) -> pb.TariffAssignment:
    return pb.TariffAssignment(
        scope=_SCOPE_PB[a.scope],
        site_id=a.site_id,
        charge_point_id=a.charge_point_id,
        evse_id=a.evse_id,
        id_token_group=a.id_token_group,
        tariff_id=a.tariff_id,
    )


def invoice_pb(r: Any) -> pb.Invoice:
    return pb.Invoice(
        id=r["id"],
        contract_id=r["contract_id"],
        period=r["period"],
        currency=r["currency"],
        total_excl_vat=str(r["total_excl"]),
        total_vat=str(r["total_vat"]),
        total_incl_vat=str(r["total_incl"]),
        json=r["body"],
        created_at=ts(r["created_at"]),
    )


class BillingServicer(pb_grpc.BillingServiceServicer):
    def __init__(self, pool: asyncpg.Pool, settings: Settings, payments: PaymentStore) -> None:
        self.settings = settings
        self.tariffs = TariffStore(pool, settings)
        self.cdrs = CdrStore(pool, self.tariffs, settings)
        self.invoices = InvoiceStore(pool, settings)
        self.webhooks = WebhookStore(pool)
        self.payments = payments

    # Tariffs and assignments.

    @translate_errors
    @tariff_errors
    async def PutTariff(self, request: pb.PutTariffRequest, context: Any) -> pb.PutTariffResponse:
        try:
            raw = orjson.loads(request.ocpi_json)
        except orjson.JSONDecodeError as exc:
            raise InvalidArgument(f"ocpi_json is not JSON: {exc}") from None
        version, new = await self.tariffs.put(request.tariff_id, raw, request.actor)
        return pb.PutTariffResponse(tariff=tariff_pb(version), new_version=new)

    @translate_errors
    async def GetTariff(self, request: pb.GetTariffRequest, context: Any) -> pb.GetTariffResponse:
        return pb.GetTariffResponse(tariff=tariff_pb(await self.tariffs.get(request.tariff_id, request.version)))

    @translate_errors
    async def ListTariffs(self, request: pb.ListTariffsRequest, context: Any) -> pb.ListTariffsResponse:
        limit = _page(request.page_size)
        after = decode_cursor(request.page_token, 1)[0] if request.page_token else ""
        found = await self.tariffs.latest(after, limit + 1)
        more = len(found) > limit
        found = found[:limit]
        token = encode_cursor([found[-1].tariff.id]) if more else ""
        return pb.ListTariffsResponse(tariffs=[tariff_pb(v) for v in found], next_page_token=token)

    @translate_errors
    async def DeleteTariff(self, request: pb.DeleteTariffRequest, context: Any) -> pb.DeleteTariffResponse:
        return pb.DeleteTariffResponse(deleted=await self.tariffs.delete(request.tariff_id))

    @translate_errors
    async def SetTariffAssignment(
        self, request: pb.SetTariffAssignmentRequest, context: Any
    ) -> pb.SetTariffAssignmentResponse:
        stored = await self.tariffs.assign(assignment_of(request.assignment))
        return pb.SetTariffAssignmentResponse(assignment=assignment_pb(stored))

    @translate_errors
    async def DeleteTariffAssignment(
        self, request: pb.DeleteTariffAssignmentRequest, context: Any
    ) -> pb.DeleteTariffAssignmentResponse:
        return pb.DeleteTariffAssignmentResponse(deleted=await self.tariffs.unassign(assignment_of(request.assignment)))

    @translate_errors
    async def ListTariffAssignments(
        self, request: pb.ListTariffAssignmentsRequest, context: Any
    ) -> pb.ListTariffAssignmentsResponse:
        return pb.ListTariffAssignmentsResponse(
            assignments=[assignment_pb(a) for a in await self.tariffs.assignments()]
        )

    @translate_errors
    async def ResolveTariff(self, request: pb.ResolveTariffRequest, context: Any) -> pb.ResolveTariffResponse:
        s = request.session
        started = time_of(s, "started_at") or datetime.now(UTC)
        version, assignment = await self.tariffs.resolve(
            s.site_id, s.charge_point_id, s.evse_id, s.id_token_group, started
        )
        zone_name = s.time_zone or (await self.tariffs.site(s.site_id))[0]
        out = pb.ResolveTariffResponse(time_zone=zone_name)
        if version is not None and assignment is not None:
            out.tariff.CopyFrom(tariff_pb(version))
            out.assignment.CopyFrom(assignment_pb(assignment))
        return out

    @translate_errors
    async def UpsertSite(self, request: pb.UpsertSiteRequest, context: Any) -> pb.UpsertSiteResponse:
        from google.protobuf.json_format import MessageToDict

        location = MessageToDict(request.location, preserving_proto_field_name=True)
        await self.tariffs.upsert_site(request.site_id, request.time_zone, location)
        return pb.UpsertSiteResponse(site_id=request.site_id)

    # Sessions and CDRs.

    @translate_errors
    async def OpenSession(self, request: pb.OpenSessionRequest, context: Any) -> pb.OpenSessionResponse:
        s = request.session
        session = session_of(s, require_end=False)
        pinned = await self.tariffs.pinned(s.transaction_id)
        if pinned is None:
            version, _ = await self.tariffs.resolve(
                s.site_id, s.charge_point_id, s.evse_id, s.id_token_group, session.started_at
            )
            zone_name = s.time_zone or (await self.tariffs.site(s.site_id))[0] if s.site_id else s.time_zone
            await self.tariffs.pin(s.transaction_id, version, zone_name or self.settings.billing_time_zone)
            pinned = await self.tariffs.pinned(s.transaction_id)
        version = pinned[0] if pinned else None
        out = pb.OpenSessionResponse()
        if version is not None:
            out.tariff.CopyFrom(tariff_pb(version))
            out.currency = version.tariff.currency
            if version.tariff.tariff_alt_text:
                out.display_text = version.tariff.tariff_alt_text[0].text
        return out

    @translate_errors
    async def RunningCost(self, request: pb.RunningCostRequest, context: Any) -> pb.RunningCostResponse:
        now = time_of(request, "at", required=False) or datetime.now(UTC)
        p = await priced(self.tariffs, request.session, require_end=False, now=now)
        c = p.pricing.currency
        return pb.RunningCostResponse(
            currency=c,
            total=price_pb(p.pricing.total, c),
            energy=price_pb(p.pricing.energy, c),
            time=price_pb(p.pricing.time, c),
            parking=price_pb(p.pricing.parking, c),
            fixed=price_pb(p.pricing.fixed, c),
            total_energy_kwh=str(round(float(p.pricing.energy_kwh), 4)),
            tariff_id=p.tariff.id if p.tariff else "",
            tariff_version=p.version.version if p.version else 0,
        )

    @translate_errors
    async def IssueCdr(self, request: pb.IssueCdrRequest, context: Any) -> pb.IssueCdrResponse:
        issued = await self.cdrs.issue(request.session)
        return pb.IssueCdrResponse(cdr=cdr_pb(issued.row), created=issued.created)

    @translate_errors
    async def GetCdr(self, request: pb.GetCdrRequest, context: Any) -> pb.GetCdrResponse:
        return pb.GetCdrResponse(cdr=cdr_pb(await self.cdrs.get(request.cdr_id)))

    @translate_errors
    async def ListCdrs(self, request: pb.ListCdrsRequest, context: Any) -> pb.ListCdrsResponse:
        limit = _page(request.page_size)
        after = None
        if request.page_token:
            end_iso, cdr_id = decode_cursor(request.page_token, 2)
            after = (datetime.fromisoformat(end_iso), cdr_id)
        rows = await self.cdrs.list(
            request.transaction_id,
            request.charge_point_id,
            time_of(request, "ended_from", required=False),
            time_of(request, "ended_to", required=False),
            after,
            limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        token = encode_cursor([rows[-1]["end_date_time"].isoformat(), rows[-1]["id"]]) if more else ""
        return pb.ListCdrsResponse(cdrs=[cdr_pb(r) for r in rows], next_page_token=token)

    @translate_errors
    async def RepriceCdr(self, request: pb.RepriceCdrRequest, context: Any) -> pb.RepriceCdrResponse:
        credit, new = await self.cdrs.reprice(
            request.cdr_id, request.tariff_id, request.tariff_version, request.reason, request.actor
        )
        return pb.RepriceCdrResponse(credit=cdr_pb(credit), replacement=cdr_pb(new))

    # Contracts and invoices.

    @translate_errors
    async def UpsertContract(self, request: pb.UpsertContractRequest, context: Any) -> pb.UpsertContractResponse:
        c = request.contract
        await self.invoices.upsert_contract(
            {
                "contract_id": c.contract_id,
                "name": c.name,
                "address": c.address,
                "email": c.email,
                "vat_id": c.vat_id,
                "id_tokens": list(c.id_tokens),
            }
        )
        return pb.UpsertContractResponse(contract=c)

    @translate_errors
    async def IssueInvoice(self, request: pb.IssueInvoiceRequest, context: Any) -> pb.IssueInvoiceResponse:
        row, created = await self.invoices.issue_or_existing(request.contract_id, request.period, request.currency)
        return pb.IssueInvoiceResponse(invoice=invoice_pb(row), created=created)

    @translate_errors
    async def GetInvoice(self, request: pb.GetInvoiceRequest, context: Any) -> pb.GetInvoiceResponse:
        row = await self.invoices.get(request.invoice_id)
        fmt = request.format or pb.INVOICE_FORMAT_JSON
        document, content_type = {
            pb.INVOICE_FORMAT_JSON: (row["body"].encode(), "application/json"),
            pb.INVOICE_FORMAT_HTML: (row["html"].encode(), "text/html; charset=utf-8"),
            pb.INVOICE_FORMAT_PDF: (bytes(row["pdf"]), "application/pdf"),
        }[fmt]
        return pb.GetInvoiceResponse(invoice=invoice_pb(row), document=document, content_type=content_type)

    # Webhooks.

    @translate_errors
    async def CreateWebhook(self, request: pb.CreateWebhookRequest, context: Any) -> pb.CreateWebhookResponse:
        row, secret = await self.webhooks.create(request.url, list(request.event_types))
        return pb.CreateWebhookResponse(webhook=_webhook_pb(row), secret=secret)

    @translate_errors
    async def ListWebhooks(self, request: pb.ListWebhooksRequest, context: Any) -> pb.ListWebhooksResponse:
        return pb.ListWebhooksResponse(webhooks=[_webhook_pb(r) for r in await self.webhooks.list()])

    @translate_errors
    async def DeleteWebhook(self, request: pb.DeleteWebhookRequest, context: Any) -> pb.DeleteWebhookResponse:
        return pb.DeleteWebhookResponse(deleted=await self.webhooks.delete(request.webhook_id))

    # Payments.

    @translate_errors
    async def AuthorizePayment(self, request: pb.AuthorizePaymentRequest, context: Any) -> pb.AuthorizePaymentResponse:
        row = await self.payments.authorize(
            request.transaction_id,
            request.provider,
            request.currency,
            request.amount_minor,
            request.customer,
            request.payment_method,
        )
        return pb.AuthorizePaymentResponse(payment=pb.Payment(**payment_pb_fields(row)))

    @translate_errors
    async def GetPayment(self, request: pb.GetPaymentRequest, context: Any) -> pb.GetPaymentResponse:
        return pb.GetPaymentResponse(
            payment=pb.Payment(**payment_pb_fields(await self.payments.get(request.transaction_id)))
        )

    @translate_errors
    async def RefundPayment(self, request: pb.RefundPaymentRequest, context: Any) -> pb.RefundPaymentResponse:
        row = await self.payments.refund(request.transaction_id, request.amount_minor)
        return pb.RefundPaymentResponse(payment=pb.Payment(**payment_pb_fields(row)))


def _webhook_pb(r: Any) -> pb.Webhook:
    return pb.Webhook(id=r["id"], url=r["url"], event_types=list(r["event_types"]), created_at=ts(r["created_at"]))


__all__ = ["BillingServicer", "grpc"]
