"""The operator's side of the registry gRPC contract (proto/chargeplane/registry/v1)."""

from __future__ import annotations

import grpc

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.pb.registry.v1 import registry_pb2_grpc as pb_grpc


class RegistryUnavailable(RuntimeError):
    """The registry could not answer; the caller retries later."""


class RegistryClient:
    def __init__(self, target: str, *, deadline: float = 5.0) -> None:
        self.target = target
        self._deadline = deadline
        self._channel = grpc.aio.insecure_channel(target)
        self._stub = pb_grpc.RegistryServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def upsert(self, request: pb.UpsertChargePointRequest) -> pb.UpsertChargePointResponse:
        try:
            response: pb.UpsertChargePointResponse = await self._stub.UpsertChargePoint(request, timeout=self._deadline)
        except grpc.aio.AioRpcError as exc:
            raise RegistryUnavailable(f"UpsertChargePoint: {exc.code().name}: {exc.details()}") from exc
        return response

    async def delete(self, charge_point_id: str) -> bool:
        try:
            response = await self._stub.DeleteChargePoint(
                pb.DeleteChargePointRequest(charge_point_id=charge_point_id), timeout=self._deadline
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return False  # already gone: deregistration is idempotent
            raise RegistryUnavailable(f"DeleteChargePoint: {exc.code().name}: {exc.details()}") from exc
        return bool(response.deleted)

    async def get(self, charge_point_id: str) -> pb.ChargePoint | None:
        try:
            response = await self._stub.GetChargePoint(
                pb.GetChargePointRequest(charge_point_id=charge_point_id), timeout=self._deadline
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise RegistryUnavailable(f"GetChargePoint: {exc.code().name}: {exc.details()}") from exc
        found: pb.ChargePoint = response.charge_point
        return found
