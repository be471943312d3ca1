"""Provisioning, OCPP 1.6: BootNotification in; Reset, GetConfiguration (also for
get-base-report) and ChangeConfiguration out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chargeplane.domain.chargepoints import BootRequest, Protocol, StationInfo
from chargeplane.domain.commands import (
    ChangeConfiguration,
    CommandResult,
    GetBaseReport,
    GetConfiguration,
    Reset,
)
from chargeplane.domain.device import MAX_VALUE_LENGTH_16, DeviceVariable, variable_of, variables_from_configuration
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ocpp16.datatypes import cannot, config_key
from chargeplane.gateway.ports import BootService
from chargeplane.gateway.translation import OcppCall, Translation, translations
from chargeplane.gateway.wire import drop_none, to_iso

if TYPE_CHECKING:  # the post-boot hooks send commands, so they import this module
    from chargeplane.gateway.post_boot import PostBootHooks


class Provisioning:
    def __init__(self, boot: BootService, after_boot: PostBootHooks) -> None:
        self.boot = boot
        self.after_boot = after_boot

    def handlers(self) -> dict[str, Handler]:
        return {"BootNotification": self.boot_notification}

    async def boot_notification(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        decision = await self.boot.boot(
            BootRequest(
                charge_point_id=conn.cp_id,
                protocol=Protocol.OCPP16,
                site=conn.site,
                station=StationInfo(
                    vendor=p["chargePointVendor"],
                    model=p["chargePointModel"],
                    serial_number=p.get("chargePointSerialNumber") or p.get("chargeBoxSerialNumber"),
                    firmware_version=p.get("firmwareVersion"),
                    iccid=p.get("iccid"),
                    imsi=p.get("imsi"),
                    meter_type=p.get("meterType"),
                    meter_serial_number=p.get("meterSerialNumber"),
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


# -- CSMS -> charger -----------------------------------------------------------------------


def reset(c: Reset) -> OcppCall:
    if c.evse_id is not None:
        raise cannot("a reset of a single EVSE (evse_id)")
    return "Reset", {"type": "Soft" if c.type == "soft" else "Hard"}


def _actual_only(attribute_type: str | None) -> None:
    if attribute_type not in (None, "Actual"):
        raise cannot(f"the {attribute_type} attribute of a configuration key")


def get_configuration(c: GetConfiguration) -> OcppCall:
    _actual_only(c.attribute_type)
    return "GetConfiguration", {"key": [config_key(k) for k in c.keys]} if c.keys else {}


def configuration_read(c: GetConfiguration, p: dict[str, Any]) -> CommandResult:
    asked = {config_key(k): k for k in c.keys}
    results: list[dict[str, Any]] = [
        drop_none(
            {
                "key": asked.get(item["key"], item["key"]),
                "status": "Accepted",
                "value": item.get("value"),
                "readonly": item.get("readonly"),
            }
        )
        for item in p.get("configurationKey") or []
    ]
    results += [{"key": asked.get(k, k), "status": "UnknownVariable"} for k in p.get("unknownKey") or []]
    return CommandResult("Accepted", {"results": results})


def configuration_reported(c: GetConfiguration | GetBaseReport, p: dict[str, Any]) -> list[DeviceVariable]:
    return variables_from_configuration(p)


def change_configuration(c: ChangeConfiguration) -> OcppCall:
    if len(c.settings) != 1:
        raise cannot("several keys in one change (1.6 ChangeConfiguration sets one key)")
    _actual_only(c.attribute_type)
    setting = c.settings[0]
    if len(setting.value) > MAX_VALUE_LENGTH_16:
        raise cannot(f"values longer than {MAX_VALUE_LENGTH_16} characters")
    return "ChangeConfiguration", {"key": config_key(setting.key), "value": setting.value}


def configuration_changed(c: ChangeConfiguration, p: dict[str, Any]) -> CommandResult:
    status = str(p["status"])
    return CommandResult(status, {"results": [{"key": c.settings[0].key, "status": status}]})


def change_reported(c: ChangeConfiguration, p: dict[str, Any]) -> list[DeviceVariable]:
    if p["status"] != "Accepted":
        return []
    s = c.settings[0]
    return [variable_of(s.key, Protocol.OCPP16, s.value, c.attribute_type or "Actual")]


def base_report(c: GetBaseReport) -> OcppCall:
    # 1.6 has no reports: a configuration or full inventory is the whole configuration.
    if c.report_base == "SummaryInventory":
        raise cannot("a SummaryInventory report")
    return "GetConfiguration", {}


def base_report_read(c: GetBaseReport, p: dict[str, Any]) -> CommandResult:
    return configuration_read(GetConfiguration(), p)


COMMANDS = translations(
    Translation(Reset, reset),
    Translation(GetConfiguration, get_configuration, configuration_read, configuration_reported),
    Translation(ChangeConfiguration, change_configuration, configuration_changed, change_reported),
    Translation(GetBaseReport, base_report, base_report_read, configuration_reported),
)
