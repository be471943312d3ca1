"""The auth service over gRPC: Authorize decisions for id tokens (both versions)."""

from __future__ import annotations

import grpc

from chargeplane.domain.auth import AuthDecision, AuthorizationStatus
from chargeplane.gateway.ports import Authorization
from chargeplane.pb.auth.v1 import auth_pb2 as apb
from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceStub
from chargeplane.rpc.timestamps import optional_datetime

_STATUS = {
    apb.AUTHORIZATION_STATUS_ACCEPTED: AuthorizationStatus.ACCEPTED,
    apb.AUTHORIZATION_STATUS_BLOCKED: AuthorizationStatus.BLOCKED,
    apb.AUTHORIZATION_STATUS_EXPIRED: AuthorizationStatus.EXPIRED,
    apb.AUTHORIZATION_STATUS_INVALID: AuthorizationStatus.INVALID,
    apb.AUTHORIZATION_STATUS_CONCURRENT_TX: AuthorizationStatus.CONCURRENT_TX,
    apb.AUTHORIZATION_STATUS_UNKNOWN: AuthorizationStatus.UNKNOWN,
    apb.AUTHORIZATION_STATUS_NOT_AT_THIS_LOCATION: AuthorizationStatus.NOT_AT_THIS_LOCATION,
}


class AuthClient:
    """Implements Authorizer (gateway/ports.py)."""

    def __init__(self, channel: grpc.aio.Channel, *, deadline: float) -> None:
        self._auth = AuthServiceStub(channel)
        self._deadline = deadline

    async def authorize(
        self,
        cp_id: str,
        site: str | None,
        id_token: str,
        token_type: str = "",
        own_transaction: str = "",
        *,
        record_unknown: bool = False,
    ) -> Authorization:
        reply = await self._auth.Authorize(
            apb.AuthorizeRequest(
                charge_point_id=cp_id,
                site=site or "",
                id_token=id_token,
                type=token_type,
                own_transaction=own_transaction,
                record_unknown=record_unknown,
            ),
            timeout=self._deadline,
        )
        decision = AuthDecision(
            _STATUS.get(reply.status, AuthorizationStatus.INVALID),
            optional_datetime(reply, "expiry"),
            reply.group_id or None,
        )
        cache = optional_datetime(reply, "cache_expiry")
        return Authorization(decision, cache)
