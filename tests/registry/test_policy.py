"""The pure boot decision, rule by rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chargeplane.config import Settings
from chargeplane.domain.chargepoints import BootRequest, Protocol, RegistrationStatus, StationInfo
from chargeplane.services.registry.policy import Registration, decide_boot

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REQUEST = BootRequest("CP", Protocol.OCPP16, StationInfo("v", "m"))
SETTINGS = {"heartbeat_interval": 300, "pending_retry_interval": 60}


def settings(policy: str, unknown: str = "Rejected") -> Settings:
    return Settings(boot_policy=policy, unknown_boot_status=unknown, **SETTINGS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "unknown", "known", "status", "create", "record"),
    [
        ("dev", "Rejected", None, RegistrationStatus.ACCEPTED, True, True),
        ("production", "Rejected", None, RegistrationStatus.REJECTED, False, False),
        ("production", "Pending", None, RegistrationStatus.PENDING, False, False),
        ("production", "Pending", Registration(True, ()), RegistrationStatus.ACCEPTED, False, True),
        ("production", "Pending", Registration(False, ()), RegistrationStatus.PENDING, False, True),
        ("dev", "Pending", Registration(False, ()), RegistrationStatus.ACCEPTED, False, True),
        ("dev", "Pending", Registration(True, ("ocpp2.0.1",)), RegistrationStatus.REJECTED, False, True),
        ("production", "Pending", Registration(True, ("ocpp2.0.1",)), RegistrationStatus.REJECTED, False, True),
        ("production", "Pending", Registration(True, ("ocpp1.6",)), RegistrationStatus.ACCEPTED, False, True),
    ],
)
def test_decide_boot(
    policy: str,
    unknown: str,
    known: Registration | None,
    status: RegistrationStatus,
    create: bool,
    record: bool,
) -> None:
    outcome = decide_boot(settings(policy, unknown), REQUEST, known, NOW)
    assert (outcome.decision.status, outcome.create, outcome.record) == (status, create, record)
    assert outcome.decision.current_time == NOW
    expected_interval = 300 if status == RegistrationStatus.ACCEPTED else 60
    assert outcome.decision.interval == expected_interval
