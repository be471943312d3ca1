"""The registry service over gRPC: boots, connector status, last-seen times, device state.

Last-seen times are batched: one RecordActivity call per flush interval for all chargers
heard from, never a database write per Heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import grpc
import orjson

from chargeplane.domain.chargepoints import (
    BootDecision,
    BootRequest,
    Protocol,
    RegistrationStatus,
    StatusReport,
)
from chargeplane.domain.device import DeviceVariable, Notification
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceStub
from chargeplane.registry_messages import device_variables
from chargeplane.rpc.timestamps import to_datetime, to_timestamp

log = logging.getLogger(__name__)

_PROTOCOL = {Protocol.OCPP16: pb.PROTOCOL_OCPP16, Protocol.OCPP201: pb.PROTOCOL_OCPP201}
_STATUS = {
    pb.REGISTRATION_STATUS_ACCEPTED: RegistrationStatus.ACCEPTED,
    pb.REGISTRATION_STATUS_PENDING: RegistrationStatus.PENDING,
    pb.REGISTRATION_STATUS_REJECTED: RegistrationStatus.REJECTED,
}


class RegistryClient:
    """Implements BootService, StatusService, ActivityTracker, NotificationLog,
    DeviceModel and ConfigurationResults (gateway/ports.py)."""

    def __init__(
        self, channel: grpc.aio.Channel, *, deadline: float, flush_interval: float, boot_deadline: float | None = None
    ) -> None:
        self._registry = RegistryServiceStub(channel)
        self._deadline = deadline
        # Boots queue behind each other in a reconnection storm, and a charger waits for its
        # BootNotification answer far longer than for other calls: give them more time.
        self._boot_deadline = max(deadline, boot_deadline or deadline)
        self._flush_interval = flush_interval
        self._seen: dict[str, float] = {}
        self._flusher: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._flusher = asyncio.create_task(self._flush_forever())

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.flush()

    async def boot(self, request: BootRequest) -> BootDecision:
        s = request.station
        reply = await self._registry.Boot(
            pb.BootRequest(
                charge_point_id=request.charge_point_id,
                protocol=_PROTOCOL[request.protocol],
                station=pb.StationInfo(
                    vendor=s.vendor,
                    model=s.model,
                    serial_number=s.serial_number,
                    firmware_version=s.firmware_version,
                    iccid=s.iccid,
                    imsi=s.imsi,
                    meter_type=s.meter_type,
                    meter_serial_number=s.meter_serial_number,
                ),
                reason=request.reason or "",
                site=request.site or "",
            ),
            timeout=self._boot_deadline,
        )
        return BootDecision(
            status=_STATUS.get(reply.status, RegistrationStatus.REJECTED),
            current_time=to_datetime(reply.current_time),
            interval=reply.interval,
            pending_configuration=tuple((c.key, c.value) for c in reply.pending_configuration),
        )

    async def record_status(self, report: StatusReport) -> None:
        await self._registry.RecordStatus(
            pb.RecordStatusRequest(
                charge_point_id=report.charge_point_id,
                connector=pb.ConnectorRef(evse_id=report.connector.evse_id, connector_id=report.connector.connector_id),
                status=report.status,
                timestamp=to_timestamp(report.timestamp),
                error_code=report.error_code,
                info=report.info,
                vendor_id=report.vendor_id,
                vendor_error_code=report.vendor_error_code,
            ),
            timeout=self._deadline,
        )

    def touch(self, cp_id: str) -> None:
        self._seen[cp_id] = time.time()

    async def record_notification(self, notification: Notification) -> None:
        n = notification
        await self._registry.RecordNotification(
            pb.RecordNotificationRequest(
                charge_point_id=n.charge_point_id,
                kind=n.kind,
                status=n.status,
                request_id=n.request_id,
                payload_json=orjson.dumps(n.payload),
            ),
            timeout=self._deadline,
        )

    async def record_device_variables(self, cp_id: str, variables: Sequence[DeviceVariable]) -> None:
        await self._registry.RecordDeviceVariables(
            pb.RecordDeviceVariablesRequest(charge_point_id=cp_id, variables=device_variables(variables)),
            timeout=self._deadline,
        )

    async def record_configuration_results(
        self, cp_id: str, protocol: Protocol, results: Sequence[tuple[str, str, str]]
    ) -> None:
        await self._registry.RecordConfigurationResults(
            pb.RecordConfigurationResultsRequest(
                charge_point_id=cp_id,
                protocol=_PROTOCOL[protocol],
                results=[pb.ConfigurationResult(key=k, value=v, result=r) for k, v, r in results],
            ),
            timeout=self._deadline,
        )

    async def flush(self) -> None:
        if not self._seen:
            return
        batch, self._seen = self._seen, {}
        request = pb.RecordActivityRequest(
            activities=[
                pb.Activity(charge_point_id=cp_id, seen_at=to_timestamp(datetime.fromtimestamp(at, UTC)))
                for cp_id, at in batch.items()
            ]
        )
        try:
            await self._registry.RecordActivity(request, timeout=self._deadline)
        except grpc.aio.AioRpcError as exc:
            log.warning("could not record activity of %d chargers: %s", len(batch), exc.code())
            for cp_id, at in batch.items():  # keep them for the next flush; newer wins
                self._seen.setdefault(cp_id, at)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            await self.flush()
