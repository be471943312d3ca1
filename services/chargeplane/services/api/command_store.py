"""The commands audit trail: every CSMS-initiated CALL, who asked, what came back, when."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

_INSERT = """
    INSERT INTO commands (charge_point_id, action, payload, requested_by, status)
    VALUES ($1, $2, $3::jsonb, $4, 'pending')
    RETURNING id, created_at
"""
_COMPLETE = """
    UPDATE commands SET status = $2, gateway = $3, epoch = $4, protocol = $5, message_id = $6,
        result = $7::jsonb, error_code = $8, error_description = $9, error_details = $10::jsonb,
        action = COALESCE($11, action), payload = COALESCE($12::jsonb, payload), completed_at = now()
    WHERE id = $1
    RETURNING *
"""
_COLUMNS = """id, charge_point_id, action, payload, requested_by, status, gateway, epoch, protocol, message_id,
    result, error_code, error_description, error_details, created_at, completed_at"""


@dataclass(frozen=True, slots=True)
class CommandRecord:
    id: uuid.UUID
    charge_point_id: str
    action: str
    payload: dict[str, Any]
    requested_by: str | None
    status: str
    gateway: str | None
    epoch: int | None
    protocol: str | None
    message_id: str | None
    result: dict[str, Any] | None
    error_code: str | None
    error_description: str | None
    error_details: dict[str, Any] | None
    created_at: datetime
    completed_at: datetime | None

    @property
    def duration_ms(self) -> float | None:
        if self.completed_at is None:
            return None
        return (self.completed_at - self.created_at).total_seconds() * 1000


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value


def _record(row: asyncpg.Record) -> CommandRecord:
    return CommandRecord(
        id=row["id"],
        charge_point_id=row["charge_point_id"],
        action=row["action"],
        payload=_json(row["payload"]),
        requested_by=row["requested_by"],
        status=row["status"],
        gateway=row["gateway"],
        epoch=row["epoch"],
        protocol=row["protocol"],
        message_id=row["message_id"],
        result=_json(row["result"]),
        error_code=row["error_code"],
        error_description=row["error_description"],
        error_details=_json(row["error_details"]),
        created_at=row["created_at"],
        completed_at=row["completed_at"],
    )


class CommandStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def begin(self, cp_id: str, action: str, payload: dict[str, Any], requested_by: str | None) -> uuid.UUID:
        row = await self.pool.fetchrow(_INSERT, cp_id, action, orjson.dumps(payload).decode(), requested_by)
        assert row is not None
        command_id: uuid.UUID = row["id"]
        return command_id

    async def complete(
        self,
        command_id: uuid.UUID,
        status: str,
        *,
        gateway: str | None = None,
        epoch: int | None = None,
        protocol: str | None = None,
        message_id: str | None = None,
        result: dict[str, Any] | None = None,
        error_code: str | None = None,
        error_description: str | None = None,
        error_details: dict[str, Any] | None = None,
        action: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> CommandRecord:
        """Record the outcome; `action` and `payload` replace what `begin` recorded (a
        version-neutral command becomes the OCPP CALL the gateway sent)."""
        row = await self.pool.fetchrow(
            _COMPLETE,
            command_id,
            status,
            gateway,
            epoch,
            protocol,
            message_id,
            None if result is None else orjson.dumps(result).decode(),
            error_code,
            error_description,
            None if error_details is None else orjson.dumps(error_details).decode(),
            action,
            None if payload is None else orjson.dumps(payload).decode(),
        )
        assert row is not None
        return _record(row)

    async def get(self, command_id: uuid.UUID) -> CommandRecord | None:
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM commands WHERE id = $1", command_id)
        return None if row is None else _record(row)

    async def list(self, cp_id: str | None, limit: int, cursor: str | None) -> tuple[list[CommandRecord], str | None]:
        """Newest first; the cursor encodes (created_at, id) of the last row returned."""
        after: tuple[datetime, uuid.UUID] | None = None
        if cursor:
            try:
                stamp, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
                after = (datetime.fromisoformat(stamp), uuid.UUID(ident))
            except ValueError:
                raise ValueError("cursor is not a value returned by this API") from None
        rows = await self.pool.fetch(
            f"""SELECT {_COLUMNS} FROM commands
                WHERE ($1::text IS NULL OR charge_point_id = $1)
                  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
                ORDER BY created_at DESC, id DESC LIMIT $4""",
            cp_id,
            after[0] if after else None,
            after[1] if after else None,
            limit + 1,
        )
        records = [_record(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = records[-1]
            next_cursor = base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.id}".encode()).decode()
        return records, next_cursor
