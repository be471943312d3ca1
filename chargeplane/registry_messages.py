"""Domain values as registry gRPC messages, for every client of the registry (the gateway,
the API): written once here rather than in each caller."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from chargeplane.domain.device import DeviceVariable
from chargeplane.pb.registry.v1 import registry_pb2 as pb


def device_variables(variables: Iterable[DeviceVariable]) -> list[pb.DeviceVariable]:
    return [
        pb.DeviceVariable(
            component=v.component,
            component_instance=v.component_instance,
            evse_id=v.evse_id if v.evse_id >= 0 else None,
            connector_id=v.connector_id if v.connector_id >= 0 else None,
            variable=v.variable,
            variable_instance=v.variable_instance,
            attribute_type=v.attribute_type,
            value=v.value,
            readonly=v.readonly,
            characteristics_json=orjson.dumps(v.characteristics) if v.characteristics else b"",
        )
        for v in variables
    ]
