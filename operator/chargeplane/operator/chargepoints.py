"""ChargePoint -> registry requests, credentials Secret, and status. Pure: no I/O, no kopf."""

from __future__ import annotations

import base64
import secrets
import string
from dataclasses import dataclass
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from chargeplane.operator import conditions, naming
from chargeplane.operator import resources as r
from chargeplane.pb.registry.v1 import registry_pb2 as pb

Manifest = dict[str, Any]

# Letters and digits only: every OCPP passwordString allows them, and they need no escaping in
# Basic auth headers, URLs or charger configuration UIs.
_ALPHABET = string.ascii_letters + string.digits


def identity(cp: Manifest) -> str:
    return str(cp.get("spec", {}).get("identity") or cp["metadata"]["name"])


def site(cp: Manifest) -> str:
    return str(cp.get("spec", {}).get("siteRef", ""))


def allowed_protocols(cp: Manifest) -> list[str]:
    return list(cp.get("spec", {}).get("ocppVersions") or r.OCPP_VERSIONS)


def security_profile(cp: Manifest) -> int:
    return int(cp.get("spec", {}).get("securityProfile", 2))


def upsert_request(cp: Manifest) -> pb.UpsertChargePointRequest:
    return pb.UpsertChargePointRequest(
        charge_point_id=identity(cp), site=site(cp), allowed_protocols=allowed_protocols(cp)
    )


def generate_password(length: int = 32) -> str:
    if not r.PASSWORD_MIN <= length <= r.PASSWORD_MAX:
        raise ValueError(f"OCPP passwords are {r.PASSWORD_MIN}-{r.PASSWORD_MAX} characters, not {length}")
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def needs_generated_secret(cp: Manifest) -> bool:
    """Profiles 1 and 2 authenticate with a password; generate one unless the user brought theirs."""
    return security_profile(cp) in (1, 2) and not cp.get("spec", {}).get("credentialsSecretRef")


def credentials_secret_name(cp: Manifest) -> str | None:
    ref = cp.get("spec", {}).get("credentialsSecretRef")
    if ref:
        return str(ref["name"])
    return naming.credentials(cp["metadata"]["name"]) if needs_generated_secret(cp) else None


def credentials_secret(cp: Manifest, password: str) -> Manifest:
    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    name = cp["metadata"]["name"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/basic-auth",
        "metadata": {
            "name": naming.credentials(name),
            "labels": naming.labels(name="chargeplane-credentials", instance=name, component="credentials"),
        },
        "data": {"username": b64(identity(cp)), "password": b64(password)},
    }


def _ts(value: Timestamp, present: bool = True) -> str | None:
    if not present or (value.seconds == 0 and value.nanos == 0):
        return None
    return value.ToDatetime().replace(microsecond=0).isoformat() + "Z"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def live_status(found: pb.ChargePoint | None) -> dict[str, Any]:
    """Status fields mirrored from the registry; every key present so stale values are overwritten."""
    if found is None:
        return {
            "registered": False, "connected": False, "gateway": None, "protocol": None, "lastSeen": None,
            "lastBoot": None, "bootStatus": None, "vendor": None, "model": None, "firmwareVersion": None,
            "connectors": [],
        }  # fmt: skip
    connected = found.HasField("connection")
    station = found.station
    return {
        "registered": True,
        "connected": connected,
        "gateway": found.connection.gateway if connected else None,
        "protocol": (found.connection.protocol if connected else found.protocol) or None,
        "lastSeen": _ts(found.last_seen_at, found.HasField("last_seen_at")),
        "lastBoot": _ts(found.last_boot_at, found.HasField("last_boot_at")),
        "bootStatus": found.boot_status or None,
        "vendor": station.vendor or None,
        "model": station.model or None,
        "firmwareVersion": station.firmware_version if station.HasField("firmware_version") else None,
        "connectors": [
            _drop_none(
                {
                    "evseId": c.evse_id,
                    "connectorId": c.connector_id,
                    "status": c.status,
                    "availability": c.availability or None,
                    "errorCode": c.error_code if c.HasField("error_code") else None,
                    "updatedAt": _ts(c.updated_at, c.HasField("updated_at")),
                }
            )
            for c in found.connectors
        ],
    }


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


def events(old: dict[str, Any], new: dict[str, Any]) -> list[Event]:
    """Kubernetes Events for notable transitions, so `kubectl describe` tells the story."""
    out: list[Event] = []
    if new.get("connected") and not old.get("connected"):
        out.append(Event("Normal", "Connected", f"connected to {new.get('gateway')} over {new.get('protocol')}"))
    if old.get("connected") and not new.get("connected"):
        out.append(Event("Normal", "Disconnected", f"disconnected from {old.get('gateway')}"))
    if new.get("bootStatus") == "Rejected" and (
        old.get("bootStatus") != "Rejected" or new.get("lastBoot") != old.get("lastBoot")
    ):
        out.append(Event("Warning", "BootRejected", f"BootNotification rejected at {new.get('lastBoot')}"))
    return out


def status_conditions(live: dict[str, Any], *, generation: int | None, site_ok: bool) -> list[conditions.Condition]:
    registered = bool(live.get("registered"))
    connected = bool(live.get("connected"))
    boot = live.get("bootStatus")
    if not site_ok:
        ready = conditions.make(
            "Ready", False, "SiteNotFound", "the referenced ChargingSite does not exist", generation=generation
        )
    elif not registered:
        ready = conditions.make(
            "Ready", False, "NotRegistered", "the registry does not hold this charge point", generation=generation
        )
    elif boot == "Rejected":
        ready = conditions.make(
            "Ready", False, "BootRejected", "the last BootNotification was rejected", generation=generation
        )
    else:
        ready = conditions.make("Ready", True, "Registered", "registered; chargers may connect", generation=generation)
    if connected:
        conn = conditions.make(
            "Connected", True, "WebSocketUp", f"held by {live.get('gateway')}", generation=generation
        )
    else:
        conn = conditions.make("Connected", False, "WebSocketDown", "no live connection", generation=generation)
    out = [ready, conn]
    if boot:
        out.append(
            conditions.make(
                "Accepted", boot == "Accepted", f"Boot{boot}", f"last BootNotification: {boot}", generation=generation
            )
        )
    return out


# 1.6 reports Charging on the connector; 2.0.1 connectors only say Occupied (the charging state
# travels in TransactionEvent), so Occupied counts as charging for 2.0.1 chargers.
_CHARGING = {"Charging", "Occupied"}


def is_charging(connectors: list[dict[str, Any]]) -> bool:
    return any(c.get("status") in _CHARGING for c in connectors)
