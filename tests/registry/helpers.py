from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from chargeplane.pb.registry.v1 import registry_pb2 as pb


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def boot(cp_id: str, protocol: int = pb.PROTOCOL_OCPP201, site: str = "", **station: str) -> pb.BootRequest:
    info = {"vendor": "Acme", "model": "Volt 22", **station}
    return pb.BootRequest(
        charge_point_id=cp_id,
        protocol=protocol,  # type: ignore[arg-type]
        station=pb.StationInfo(**info),
        reason="PowerUp" if protocol == pb.PROTOCOL_OCPP201 else "",
        site=site,
    )
