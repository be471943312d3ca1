"""/v1/id-tokens: id-token (charging token) CRUD and bulk import (CSV or JSON) over the auth service's gRPC API."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from chargeplane.pb.auth.v1 import auth_pb2 as pb
from chargeplane.rpc.timestamps import optional_datetime, to_timestamp

from ..api_tokens import Principal
from .problems import Problem, ProblemError
from .security import require

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Malformed request."},
    401: {"model": Problem, "description": "Missing or invalid bearer token."},
    403: {"model": Problem, "description": "The token lacks the required scope."},
    503: {"model": Problem, "description": "The auth service or the database is unavailable."},
}

router = APIRouter(prefix="/v1", tags=["id tokens"], responses=_ERRORS)

Reader = Annotated[Principal, Depends(require("read"))]
Operator = Annotated[Principal, Depends(require("operate"))]

MAX_IMPORT_BYTES = 16 << 20
CSV_COLUMNS = ("id_token", "type", "status", "expiry", "group_id", "sites", "charge_points")

TokenType = Literal["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"]
TokenStatus = Literal["Accepted", "Blocked", "Expired", "Invalid"]

_STATUS = {
    "Accepted": pb.AUTHORIZATION_STATUS_ACCEPTED,
    "Blocked": pb.AUTHORIZATION_STATUS_BLOCKED,
    "Expired": pb.AUTHORIZATION_STATUS_EXPIRED,
    "Invalid": pb.AUTHORIZATION_STATUS_INVALID,
}
_STATUS_NAME = {v: k for k, v in _STATUS.items()}


class TokenFields(BaseModel):
    """An id token: a 1.6 idTag or a 2.0.1 IdToken (value + type)."""

    type: TokenType = "Central"
    status: TokenStatus = "Accepted"
    expiry: datetime | None = Field(default=None, description="After this the token answers Expired.")
    group_id: str | None = Field(default=None, min_length=1, max_length=36, description="Parent / group id token.")
    sites: list[str] = Field(default_factory=list, description="Only at these sites (empty: everywhere).")
    charge_points: list[str] = Field(default_factory=list, description="Only at these chargers (empty: all).")


class Token(TokenFields):
    id_token: str = Field(min_length=1, max_length=36)


class TokenPage(BaseModel):
    items: list[Token]
    next_cursor: str | None = None


class RowError(BaseModel):
    row: int = Field(description="1-based record number in the upload (CSV: the header is not counted).")
    message: str


class ImportResult(BaseModel):
    created: int
    updated: int
    errors: list[RowError]


def _to_pb(t: Token) -> pb.Token:
    if t.expiry is not None and t.expiry.tzinfo is None:
        raise ValueError("expiry must carry a UTC offset")
    return pb.Token(
        id_token=t.id_token,
        type=t.type,
        status=_STATUS[t.status],
        expiry=to_timestamp(t.expiry),
        group_id=t.group_id or "",
        sites=t.sites,
        charge_points=t.charge_points,
    )


def _from_pb(t: pb.Token) -> Token:
    return Token(
        id_token=t.id_token,
        type=t.type,  # type: ignore[arg-type]
        status=_STATUS_NAME.get(t.status, "Invalid"),  # type: ignore[arg-type]
        expiry=optional_datetime(t, "expiry"),
        group_id=t.group_id or None,
        sites=list(t.sites),
        charge_points=list(t.charge_points),
    )


def _auth(request: Request) -> tuple[Any, float]:
    return request.app.state.auth, request.app.state.settings.service_deadline


@router.get("/id-tokens", response_model=TokenPage, summary="List id tokens by value")
async def list_tokens(
    request: Request,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> TokenPage:
    stub, deadline = _auth(request)
    reply = await stub.ListTokens(pb.ListTokensRequest(page_size=limit, page_token=cursor or ""), timeout=deadline)
    return TokenPage(items=[_from_pb(t) for t in reply.tokens], next_cursor=reply.next_page_token or None)


@router.get(
    "/id-tokens/{id_token}",
    response_model=Token,
    summary="One id token",
    responses={404: {"model": Problem, "description": "No such token."}},
)
async def get_token(request: Request, _: Reader, id_token: Annotated[str, Path(min_length=1, max_length=36)]) -> Token:
    stub, deadline = _auth(request)
    reply = await stub.GetToken(pb.GetTokenRequest(id_token=id_token), timeout=deadline)
    return _from_pb(reply.token)


@router.put("/id-tokens/{id_token}", response_model=Token, summary="Create or replace an id token")
async def put_token(
    request: Request,
    response: Response,
    _: Operator,
    id_token: Annotated[str, Path(min_length=1, max_length=36)],
    body: TokenFields,
) -> Token:
    stub, deadline = _auth(request)
    try:
        message = _to_pb(Token(id_token=id_token, **body.model_dump()))
    except ValueError as exc:
        raise ProblemError(400, str(exc)) from None
    reply = await stub.UpsertToken(pb.UpsertTokenRequest(token=message), timeout=deadline)
    response.status_code = 201 if reply.created else 200
    return _from_pb(reply.token)


@router.delete("/id-tokens/{id_token}", status_code=204, summary="Delete an id token (idempotent)")
async def delete_token(
    request: Request, _: Operator, id_token: Annotated[str, Path(min_length=1, max_length=36)]
) -> Response:
    stub, deadline = _auth(request)
    await stub.DeleteToken(pb.DeleteTokenRequest(id_token=id_token), timeout=deadline)
    return Response(status_code=204)


def _csv_records(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "id_token" not in reader.fieldnames:
        raise ProblemError(400, f"the CSV header must name id_token (columns: {', '.join(CSV_COLUMNS)})")
    unknown = set(reader.fieldnames) - set(CSV_COLUMNS)
    if unknown:
        raise ProblemError(400, f"unknown CSV columns: {', '.join(sorted(unknown))}")
    records = []
    for row in reader:
        record: dict[str, Any] = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        for key in ("sites", "charge_points"):
            if key in record:
                record[key] = [part.strip() for part in record[key].split(";") if part.strip()]
        if None in row:
            record["__extra__"] = row[None]  # more fields than columns
        records.append(record)
    return records


@router.post(
    "/id-tokens/import",
    response_model=ImportResult,
    summary="Create or replace many id tokens from CSV or JSON",
    description=(
        "Body: `text/csv` with a header row (columns "
        + ", ".join(CSV_COLUMNS)
        + "; `sites` and `charge_points` separated by `;`), or `application/json`: a list of token objects. "
        "Each row is validated alone: good rows are stored, bad rows are reported by number with the reason."
    ),
)
async def import_tokens(request: Request, _: Operator) -> ImportResult:
    records = _upload_records(
        await request.body(), request.headers.get("content-type", "").split(";")[0].strip().lower()
    )
    rows = _validated_rows(records)
    errors, messages, positions = rows.errors, rows.messages, rows.positions
    created = updated = 0
    if messages:
        stub, deadline = _auth(request)
        reply = await stub.ImportTokens(pb.ImportTokensRequest(tokens=messages), timeout=max(deadline, 30.0))
        created, updated = reply.created, reply.updated
        errors.extend(RowError(row=positions[e.row], message=e.message) for e in reply.errors)
    errors.sort(key=lambda e: e.row)
    return ImportResult(created=created, updated=updated, errors=errors)


def _upload_records(body: bytes, kind: str) -> list[Any]:
    """The uploaded rows, from CSV or a JSON list; a problem (413/400/415) otherwise."""
    if len(body) > MAX_IMPORT_BYTES:
        raise ProblemError(413, f"uploads are limited to {MAX_IMPORT_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProblemError(400, "the upload is not UTF-8") from None
    if kind == "text/csv":
        return _csv_records(text)
    if kind != "application/json":
        raise ProblemError(415, "send text/csv or application/json")
    try:
        records = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ProblemError(400, f"the JSON is malformed: {exc}") from None
    if not isinstance(records, list):
        raise ProblemError(400, "the JSON body must be a list of tokens")
    return records


@dataclass
class _Rows:
    """Rows that passed validation (with their upload row numbers) and those that did not."""

    messages: list[pb.Token] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _validated_rows(records: list[Any]) -> _Rows:
    """Each row validated alone; a repeated id_token is an error of the later row."""
    rows = _Rows()
    seen: dict[str, int] = {}
    for number, record in enumerate(records, 1):
        try:
            message = _row_message(record)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            rows.errors.append(RowError(row=number, message=f"{where}: {first['msg']}" if where else first["msg"]))
            continue
        except ValueError as exc:
            rows.errors.append(RowError(row=number, message=str(exc)))
            continue
        if message.id_token in seen:
            rows.errors.append(RowError(row=number, message=f"id_token repeats row {seen[message.id_token]}"))
            continue
        seen[message.id_token] = number
        rows.messages.append(message)
        rows.positions.append(number)
    return rows


def _row_message(record: Any) -> pb.Token:
    """One row as a token message; ValueError (or pydantic's ValidationError) says why not."""
    if not isinstance(record, dict):
        raise ValueError("not an object")
    if "__extra__" in record:
        raise ValueError("more fields than header columns")
    return _to_pb(Token.model_validate(record))
