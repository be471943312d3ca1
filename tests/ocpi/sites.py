"""Example sites and EVSE hardware, as an operator would register them."""

from __future__ import annotations

from typing import Any

from chargeplane.pb.registry.v1 import registry_pb2 as pb


def site(site_id: str = "AMS-1", **overrides: Any) -> pb.Site:
    fields: dict[str, Any] = {
        "id": site_id,
        "name": "Amsterdam Centraal P1",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012 AB",
        "country": "NLD",
        "coordinates": pb.GeoLocation(latitude="52.378900", longitude="4.900600"),
        "time_zone": "Europe/Amsterdam",
        "parking_type": "PARKING_GARAGE",
        "facilities": ["TRAIN_STATION"],
        "publish": True,
        "roaming": True,
    }
    fields.update(overrides)
    return pb.Site(**fields)


def evses(count: int = 1, *, connectors: int = 1) -> list[pb.EvseSpec]:
    return [
        pb.EvseSpec(
            evse_id=n,
            evse_code=f"NL*CPL*E{n:05d}",
            physical_reference=str(n),
            connectors=[
                pb.ConnectorSpec(
                    connector_id=c,
                    standard="IEC_62196_T2",
                    format="SOCKET",
                    power_type="AC_3_PHASE",
                    max_voltage=230,
                    max_amperage=32,
                    max_electric_power=22000,
                )
                for c in range(1, connectors + 1)
            ],
        )
        for n in range(1, count + 1)
    ]
