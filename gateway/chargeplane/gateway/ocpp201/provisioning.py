"""Provisioning, OCPP 2.0.1: BootNotification and NotifyReport in; Reset, GetVariables,
SetVariables and GetBaseReport out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chargeplane.domain.chargepoints import BootRequest, Protocol, StationInfo
from chargeplane.domain.commands import (
    ChangeConfiguration,
    CommandResult,
    GetBaseReport,
    GetConfiguration,
    Reset,
    UnsupportedCommand,
)
from chargeplane.domain.device import (
    MAX_VALUE_LENGTH_201,
    DeviceVariable,
    VariableRef,
    variable_of,
    variables_from_report,
)
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ocpp201.datatypes import cannot, variable_ref
from chargeplane.gateway.ports import BootService, DeviceModel
from chargeplane.gateway.translation import OcppCall, Translation, status_info, status_result, translations
from chargeplane.gateway.wire import drop_none, to_iso

if TYPE_CHECKING:  # the post-boot hooks send commands, so they import this module
    from chargeplane.gateway.post_boot import PostBootHooks


class Provisioning:
    def __init__(self, boot: BootService, after_boot: PostBootHooks, device_model: DeviceModel) -> None:
        self.boot = boot
        self.after_boot = after_boot
        self.device_model = device_model

    def handlers(self) -> dict[str, Handler]:
        return {"BootNotification": self.boot_notification, "NotifyReport": self.notify_report}

    async def boot_notification(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        station = p["chargingStation"]
        modem = station.get("modem") or {}
        decision = await self.boot.boot(
            BootRequest(
                charge_point_id=conn.cp_id,
                protocol=Protocol.OCPP201,
                site=conn.site,
                reason=p["reason"],
                station=StationInfo(
                    vendor=station["vendorName"],
                    model=station["model"],
                    serial_number=station.get("serialNumber"),
                    firmware_version=station.get("firmwareVersion"),
                    iccid=modem.get("iccid"),
                    imsi=modem.get("imsi"),
                ),
            )
        )
        conn.boot_status = decision.status
        self.after_boot.run(conn, decision)
        return {
            "status": decision.status.value,
            "currentTime": to_iso(decision.current_time),
            "interval": decision.interval,
        }

    async def notify_report(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        """One part (seqNo, tbc) of a GetBaseReport/GetReport answer: each part is stored
        as it arrives (upserted per component/variable/attribute)."""
        variables = variables_from_report(p)
        if variables:
            await self.device_model.record_device_variables(conn.cp_id, variables)
        return {}


# -- CSMS -> charger -----------------------------------------------------------------------


def reset(c: Reset) -> OcppCall:
    return "Reset", drop_none({"type": "OnIdle" if c.type == "soft" else "Immediate", "evseId": c.evse_id})


def get_variables(c: GetConfiguration) -> OcppCall:
    if not c.keys:
        raise UnsupportedCommand(
            "OCPP 2.0.1 has no 'get all variables'; use get-base-report (the charger answers with NotifyReport)"
        )
    data = []
    for key in c.keys:
        entry = variable_ref(key).to_ocpp201()
        if c.attribute_type is not None:
            entry["attributeType"] = c.attribute_type
        data.append(entry)
    return "GetVariables", {"getVariableData": data}


def variables_read(c: GetConfiguration, p: dict[str, Any]) -> CommandResult:
    asked = {variable_ref(k): k for k in c.keys}
    results = []
    for item in p.get("getVariableResult") or []:
        ref = VariableRef.from_ocpp201(item["component"], item["variable"])
        results.append(
            drop_none(
                {
                    "key": asked.get(ref, ref.key),
                    "status": item["attributeStatus"],
                    "value": item.get("attributeValue"),
                    "attribute_type": item.get("attributeType"),
                    **status_info(item, "attributeStatusInfo"),
                }
            )
        )
    return CommandResult("Accepted", {"results": results})


def variables_reported(c: GetConfiguration, p: dict[str, Any]) -> list[DeviceVariable]:
    out = []
    for item in p.get("getVariableResult") or []:
        if item["attributeStatus"] != "Accepted" or "attributeValue" not in item:
            continue
        ref = VariableRef.from_ocpp201(item["component"], item["variable"])
        out.append(variable_of(ref.key, Protocol.OCPP201, item["attributeValue"], item.get("attributeType", "Actual")))
    return out


def set_variables(c: ChangeConfiguration) -> OcppCall:
    data = []
    for setting in c.settings:
        if len(setting.value) > MAX_VALUE_LENGTH_201:
            raise cannot(f"values longer than {MAX_VALUE_LENGTH_201} characters")
        entry = {**variable_ref(setting.key).to_ocpp201(), "attributeValue": setting.value}
        if c.attribute_type is not None:
            entry["attributeType"] = c.attribute_type
        data.append(entry)
    return "SetVariables", {"setVariableData": data}


def variables_set(c: ChangeConfiguration, p: dict[str, Any]) -> CommandResult:
    """status: the one status when all results agree, else "Partial"; details.results: per key."""
    asked = {variable_ref(s.key): s.key for s in c.settings}
    results = []
    for item in p.get("setVariableResult") or []:
        ref = VariableRef.from_ocpp201(item["component"], item["variable"])
        results.append(
            drop_none(
                {
                    "key": asked.get(ref, ref.key),
                    "status": item["attributeStatus"],
                    "attribute_type": item.get("attributeType"),
                    **status_info(item, "attributeStatusInfo"),
                }
            )
        )
    statuses = {r["status"] for r in results}
    return CommandResult(statuses.pop() if len(statuses) == 1 else "Partial", {"results": results})


def set_reported(c: ChangeConfiguration, p: dict[str, Any]) -> list[DeviceVariable]:
    accepted = {r["key"] for r in variables_set(c, p).details["results"] if r["status"] == "Accepted"}
    return [
        variable_of(s.key, Protocol.OCPP201, s.value, c.attribute_type or "Actual")
        for s in c.settings
        if s.key in accepted
    ]


def get_base_report(c: GetBaseReport) -> OcppCall:
    return "GetBaseReport", {"requestId": c.request_id, "reportBase": c.report_base}


def base_report_started(c: GetBaseReport, p: dict[str, Any]) -> CommandResult:
    # The report itself comes as NotifyReport messages (stored by notify_report above).
    return status_result(p, request_id=c.request_id)


COMMANDS = translations(
    Translation(Reset, reset),
    Translation(GetConfiguration, get_variables, variables_read, variables_reported),
    Translation(ChangeConfiguration, set_variables, variables_set, set_reported),
    Translation(GetBaseReport, get_base_report, base_report_started),
)
