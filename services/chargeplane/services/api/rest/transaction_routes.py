"""/v1/transactions and /v1/chargepoints/{id}/meter-values, over the transactions service's gRPC API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from chargeplane.pb.transactions.v1 import transactions_pb2 as pb
from chargeplane.rpc.timestamps import Timestamp, optional_datetime, to_datetime, to_timestamp

from ..api_tokens import Principal
from .problems import Problem, ProblemError
from .security import require

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Malformed request."},
    401: {"model": Problem, "description": "Missing or invalid bearer token."},
    403: {"model": Problem, "description": "The token lacks the required scope."},
    503: {"model": Problem, "description": "The transactions service or the database is unavailable."},
}

router = APIRouter(prefix="/v1", tags=["transactions"], responses=_ERRORS)

Reader = Annotated[Principal, Depends(require("read"))]


class MeterValue(BaseModel):
    """One sampled value: as the charger sent it, and normalised (`value` in `base_unit`)."""

    timestamp: datetime
    charge_point_id: str
    evse_id: int | None = None
    connector_id: int | None = None
    transaction_ref: str | None = None
    measurand: str
    phase: str | None = None
    unit: str | None = Field(default=None, description="The unit the charger sent.")
    context: str | None = None
    location: str | None = None
    format: str | None = None
    raw_value: str = Field(description="The value exactly as sent.")
    signed_data: str | None = None
    value: float | None = Field(default=None, description="Normalised number (Wh, W, A, V, Percent, ...).")
    base_unit: str | None = None


class Transaction(BaseModel):
    id: int = Field(description="The CSMS transaction id (the 1.6 transactionId).")
    charge_point_id: str
    protocol: str
    transaction_ref: str = Field(description="The charger's transactionId (2.0.1) or the id as text (1.6).")
    site: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    id_tag: str | None = None
    auth_status: str | None = None
    meter_start: float | None = Field(default=None, description="Wh.")
    meter_stop: float | None = Field(default=None, description="Wh.")
    energy_wh: float | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_reason: str | None = None
    state: Literal["Active", "Ended"]
    charging_state: str | None = None
    missing_seq_nos: list[int] = Field(default_factory=list, description="2.0.1 seqNo gaps.")
    flags: list[str] = Field(default_factory=list, description="Anomalies kept with the record.")


class TransactionDetail(Transaction):
    meter_values: list[MeterValue]


class TransactionPage(BaseModel):
    items: list[Transaction]
    next_cursor: str | None = None


class MeterValuePage(BaseModel):
    items: list[MeterValue]
    next_cursor: str | None = None


def _transaction(t: pb.Transaction) -> dict[str, Any]:
    return {
        "id": t.id,
        "charge_point_id": t.charge_point_id,
        "protocol": t.protocol,
        "transaction_ref": t.transaction_ref,
        "site": t.site or None,
        "evse_id": t.evse_id if t.HasField("evse_id") else None,
        "connector_id": t.connector_id if t.HasField("connector_id") else None,
        "id_tag": t.id_tag or None,
        "auth_status": t.auth_status or None,
        "meter_start": t.meter_start if t.HasField("meter_start") else None,
        "meter_stop": t.meter_stop if t.HasField("meter_stop") else None,
        "energy_wh": t.energy_wh if t.HasField("energy_wh") else None,
        "started_at": optional_datetime(t, "started_at"),
        "stopped_at": optional_datetime(t, "stopped_at"),
        "stop_reason": t.stop_reason or None,
        "state": t.state,
        "charging_state": t.charging_state or None,
        "missing_seq_nos": list(t.missing_seq_nos),
        "flags": list(t.flags),
    }


def _meter_value(m: pb.MeterValue) -> MeterValue:
    return MeterValue(
        timestamp=to_datetime(m.timestamp),
        charge_point_id=m.charge_point_id,
        evse_id=m.evse_id if m.HasField("evse_id") else None,
        connector_id=m.connector_id if m.HasField("connector_id") else None,
        transaction_ref=m.transaction_ref or None,
        measurand=m.measurand,
        phase=m.phase or None,
        unit=m.unit or None,
        context=m.context or None,
        location=m.location or None,
        format=m.format or None,
        raw_value=m.raw_value,
        signed_data=m.signed_data or None,
        value=m.value if m.HasField("value") else None,
        base_unit=m.base_unit or None,
    )


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ProblemError(400, "times must carry a UTC offset (e.g. 2026-11-23T10:00:00Z)")
    return to_timestamp(value)


def _stub(request: Request) -> tuple[Any, float]:
    state = request.app.state
    return state.transactions, state.settings.service_deadline


async def _call(method: Any, message: Any, deadline: float) -> Any:
    try:
        return await method(message, timeout=deadline)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.INVALID_ARGUMENT and (exc.details() or "").startswith("page_token"):
            raise ProblemError(400, "cursor is not a value returned by this API") from None
        raise


@router.get("/transactions", response_model=TransactionPage, summary="List transactions, newest first")
async def list_transactions(
    request: Request,
    _: Reader,
    charge_point_id: Annotated[str | None, Query(min_length=1, max_length=48, description="Only this charger.")] = None,
    id_tag: Annotated[str | None, Query(min_length=1, max_length=36, description="Only this token.")] = None,
    site: Annotated[str | None, Query(min_length=1, max_length=63)] = None,
    state: Annotated[Literal["Active", "Ended"] | None, Query()] = None,
    started_from: Annotated[datetime | None, Query(alias="from", description="Started at or after.")] = None,
    started_to: Annotated[datetime | None, Query(alias="to", description="Started before.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> TransactionPage:
    stub, deadline = _stub(request)
    reply = await _call(
        stub.ListTransactions,
        pb.ListTransactionsRequest(
            page_size=limit,
            page_token=cursor or "",
            charge_point_id=charge_point_id or "",
            id_tag=id_tag or "",
            site=site or "",
            state=state or "",
            started_from=_ts(started_from),
            started_to=_ts(started_to),
        ),
        deadline,
    )
    return TransactionPage(
        items=[Transaction(**_transaction(t)) for t in reply.transactions], next_cursor=reply.next_page_token or None
    )


@router.get(
    "/transactions/{transaction_id}",
    response_model=TransactionDetail,
    summary="One transaction with its meter series",
    responses={404: {"model": Problem, "description": "No such transaction."}},
)
async def get_transaction(
    request: Request,
    _: Reader,
    transaction_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
) -> TransactionDetail:
    stub, deadline = _stub(request)
    reply = await _call(stub.GetTransaction, pb.GetTransactionRequest(transaction_id=transaction_id), deadline)
    return TransactionDetail(
        **_transaction(reply.transaction), meter_values=[_meter_value(m) for m in reply.meter_values]
    )


@router.get(
    "/chargepoints/{charge_point_id}/meter-values",
    response_model=MeterValuePage,
    summary="Meter values of one charger in a time range",
)
async def charge_point_meter_values(
    request: Request,
    _: Reader,
    charge_point_id: Annotated[str, Path(min_length=1, max_length=48)],
    start: Annotated[datetime, Query(alias="from", description="Inclusive.")],
    end: Annotated[datetime, Query(alias="to", description="Exclusive.")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> MeterValuePage:
    stub, deadline = _stub(request)
    if end <= start:
        raise ProblemError(400, "`to` must be after `from`")
    reply = await _call(
        stub.ListMeterValues,
        pb.ListMeterValuesRequest(
            charge_point_id=charge_point_id,
            from_time=_ts(start),
            to_time=_ts(end),
            page_size=limit,
            page_token=cursor or "",
        ),
        deadline,
    )
    return MeterValuePage(
        items=[_meter_value(m) for m in reply.meter_values], next_cursor=reply.next_page_token or None
    )
