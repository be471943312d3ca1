"""Bad input gets INVALID_ARGUMENT with a message that names the problem."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
import pytest

from chargeplane.pb.registry.v1 import registry_pb2 as pb

from .helpers import boot

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub


async def expect_invalid(call: Any, request: Any, fragment: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in (err.value.details() or "")


@pytest.mark.parametrize(
    ("cp_id", "fragment"),
    [("", "required"), ("x" * 49, "longer than 48"), ("a:b", "':'"), ("a\nb", "control")],
)
async def test_bad_charge_point_ids(registry: RegistryServiceAsyncStub, cp_id: str, fragment: str) -> None:
    await expect_invalid(registry.Boot, boot(cp_id), fragment)
    await expect_invalid(registry.GetChargePoint, pb.GetChargePointRequest(charge_point_id=cp_id), fragment)
    await expect_invalid(registry.UpsertChargePoint, pb.UpsertChargePointRequest(charge_point_id=cp_id), fragment)
    await expect_invalid(registry.DeleteChargePoint, pb.DeleteChargePointRequest(charge_point_id=cp_id), fragment)
    await expect_invalid(
        registry.RecordStatus, pb.RecordStatusRequest(charge_point_id=cp_id, status="Available"), fragment
    )
    await expect_invalid(
        registry.RecordActivity,
        pb.RecordActivityRequest(activities=[pb.Activity(charge_point_id="ok"), pb.Activity(charge_point_id=cp_id)]),
        "activities[1].charge_point_id",
    )


async def test_id_of_48_characters_is_fine(registry: RegistryServiceAsyncStub) -> None:
    assert (await registry.Boot(boot("x" * 48))).status == pb.REGISTRATION_STATUS_ACCEPTED


@pytest.mark.parametrize("token", ["garbage!", "djE6", "eHl6", "dGhpcyBpcyBub3QgaXQ"])
async def test_bad_page_tokens(registry: RegistryServiceAsyncStub, token: str) -> None:
    await expect_invalid(registry.ListChargePoints, pb.ListChargePointsRequest(page_token=token), "page_token")


async def test_other_bad_fields(registry: RegistryServiceAsyncStub) -> None:
    await expect_invalid(registry.ListChargePoints, pb.ListChargePointsRequest(page_size=-1), "page_size")
    await expect_invalid(
        registry.UpsertChargePoint,
        pb.UpsertChargePointRequest(charge_point_id="CP", allowed_protocols=["ocpp3"]),
        "unknown protocol 'ocpp3'",
    )
    await expect_invalid(
        registry.RecordStatus,
        pb.RecordStatusRequest(charge_point_id="CP", status="Available", connector=pb.ConnectorRef(evse_id=-1)),
        "negative",
    )
    await expect_invalid(registry.RecordStatus, pb.RecordStatusRequest(charge_point_id="CP"), "status is required")
    await expect_invalid(registry.Boot, boot("CP", vendor="a\x00b"), "station.vendor")
    await expect_invalid(registry.Boot, boot("CP", model="m" * 256), "station.model")
