"""Profile validation per OCPP version: every violation names its rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.smartcharging import (
    ChargingProfile,
    InstalledProfile,
    ProfileRuleViolation,
    Purpose,
    StationContext,
    check_profile,
    replaced_profiles,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
V16, V201 = Protocol.OCPP16, Protocol.OCPP201


def profile(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": 1,
        "stack_level": 0,
        "purpose": "TxDefaultProfile",
        "kind": "Absolute",
        "schedules": [{"rate_unit": "A", "start": NOW.isoformat(), "periods": [{"start_period": 0, "limit": 16}]}],
    }
    data.update(overrides)
    return data


def ctx(protocol: Protocol, **kw: Any) -> StationContext:
    return StationContext(protocol=protocol, now=NOW, **kw)


def rule_of(protocol: Protocol, evse: int, data: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(ProfileRuleViolation) as info:
        check_profile(evse, ChargingProfile.parse(data), ctx(protocol, **kw))
    return info.value.rule


def test_parse_names_the_rule_for_structural_errors() -> None:
    bad = profile(schedules=[{"rate_unit": "A", "periods": [{"start_period": 5, "limit": 1}]}])
    with pytest.raises(ProfileRuleViolation) as info:
        ChargingProfile.parse(bad)
    assert info.value.rule == "K01.FR.31"
    unordered = [{"start_period": 0, "limit": 1}, {"start_period": 10, "limit": 1}, {"start_period": 10, "limit": 2}]
    with pytest.raises(ProfileRuleViolation) as info:
        ChargingProfile.parse(profile(schedules=[{"rate_unit": "A", "periods": unordered}]))
    assert info.value.rule == "K01.FR.35"
    with pytest.raises(ProfileRuleViolation) as info:
        ChargingProfile.parse(profile(kind="Recurring"))
    assert info.value.rule == "recurrency"
    with pytest.raises(ProfileRuleViolation) as info:
        ChargingProfile.parse(profile(stack_level=-1))
    assert info.value.rule == "stack_level"
    with pytest.raises(ProfileRuleViolation) as info:
        ChargingProfile.parse(profile(unknown=1))
    assert info.value.rule == "unknown"
    assert ChargingProfile.parse(profile(purpose="ChargePointMaxProfile")).purpose is Purpose.STATION_MAX


def test_16_rules() -> None:
    tx = profile(purpose="TxProfile", transaction_id=5)
    assert rule_of(V16, 0, tx, transactions={1: "5"}) == "1.6 §3.13.2 TxProfile"
    assert rule_of(V16, 1, tx) == "1.6 §5.16.3 TxProfile"  # no transaction in progress
    assert rule_of(V16, 1, tx, transactions={1: "6"}) == "1.6 §5.16.3 transactionId"
    check_profile(1, ChargingProfile.parse(tx), ctx(V16, transactions={1: "5"}))
    # 1.6 allows a TxProfile without a transaction id: the one in progress.
    check_profile(1, ChargingProfile.parse(profile(purpose="TxProfile")), ctx(V16, transactions={1: "5"}))
    assert rule_of(V16, 1, profile(purpose="ChargePointMaxProfile")) == "1.6 §3.13.1 ChargePointMaxProfile"
    assert rule_of(V16, 0, profile(purpose="ChargingStationExternalConstraints")).startswith("1.6 §7.10")
    two = profile(schedules=[profile()["schedules"][0], {**profile()["schedules"][0], "id": 2}])
    assert rule_of(V16, 0, two) == "1.6 §7.8 chargingSchedule"
    assert rule_of(V16, 0, profile(purpose="TxProfile", transaction_id="abc")) == "1.6 §7.8 transactionId"
    tenth = profile(schedules=[{"rate_unit": "A", "periods": [{"start_period": 0, "limit": 16.05}]}])
    assert rule_of(V16, 0, tenth) == "1.6 §7.9 limit"
    assert rule_of(V16, 3, profile(), evse_ids=frozenset({1, 2})) == "1.6 §5.16 connectorId"
    assert rule_of(V16, 0, profile(stack_level=9), max_stack_level=8) == "1.6 ChargeProfileMaxStackLevel"
    assert rule_of(V16, 0, profile(), rate_units=frozenset({"W"})) == "1.6 ChargingScheduleAllowedChargingRateUnit"
    # An Absolute 1.6 profile may leave startSchedule out (the charger uses the time it got it).
    check_profile(
        0,
        ChargingProfile.parse(profile(schedules=[{"rate_unit": "A", "periods": [{"start_period": 0, "limit": 6}]}])),
        ctx(V16),
    )


def test_201_rules() -> None:
    tx = profile(purpose="TxProfile", transaction_id="tx-1")
    assert rule_of(V201, 0, tx, transactions={1: "tx-1"}) == "K01.FR.16"
    assert rule_of(V201, 1, profile(purpose="TxProfile"), transactions={1: "tx-1"}) == "K01.FR.03"
    assert rule_of(V201, 1, tx) == "K01.FR.09"
    assert rule_of(V201, 1, tx, transactions={1: "tx-2"}) == "K01.FR.33"
    assert rule_of(V201, 0, profile(purpose="ChargingStationExternalConstraints")) == "K01.FR.22"
    relative_max = profile(
        purpose="ChargingStationMaxProfile",
        kind="Relative",
        schedules=[{"rate_unit": "A", "periods": [{"start_period": 0, "limit": 6}]}],
    )
    assert rule_of(V201, 0, relative_max) == "K01.FR.38"
    no_start = profile(schedules=[{"rate_unit": "A", "periods": [{"start_period": 0, "limit": 6}]}])
    assert rule_of(V201, 0, no_start) == "K01.FR.40"
    with pytest.raises(ProfileRuleViolation) as info:
        ChargingProfile.parse(profile(kind="Relative"))
    assert info.value.rule == "K01.FR.41"
    two = [profile()["schedules"][0], {**profile()["schedules"][0], "id": 2}]
    assert rule_of(V201, 1, {**tx, "schedules": two}, transactions={1: "tx-1"}) == "K01.FR.34"
    check_profile(
        1,
        ChargingProfile.parse({**tx, "schedules": two}),
        ctx(V201, transactions={1: "tx-1"}, charging_needs=frozenset({"tx-1"})),
    )
    phase = profile(
        schedules=[
            {
                "rate_unit": "A",
                "start": NOW.isoformat(),
                "periods": [{"start_period": 0, "limit": 6, "phase_to_use": 2}],
            }
        ]
    )
    assert rule_of(V201, 1, phase) == "K01.FR.19"
    phase["schedules"][0]["periods"][0]["number_phases"] = 1
    assert rule_of(V201, 1, phase) == "K01.FR.20"
    check_profile(1, ChargingProfile.parse(phase), ctx(V201, phase_switching=True))
    assert rule_of(V201, 4, profile(), evse_ids=frozenset({1})) == "K01.FR.28"
    assert rule_of(V201, 0, profile(), rate_units=frozenset({"W"})) == "K01.FR.26"
    past = profile(valid_to=(NOW - timedelta(minutes=1)).isoformat())
    assert rule_of(V201, 0, past) == "validity"


def test_unique_stack_level_per_purpose_and_evse() -> None:
    old = InstalledProfile(1, ChargingProfile.parse(profile(id=1, stack_level=2)), NOW)
    new = profile(id=2, stack_level=2)
    # 2.0.1 refuses a second profile with the same stack level, purpose and EVSE...
    assert rule_of(V201, 1, new, installed=[old]) == "K01.FR.06"
    # ... unless their validity periods do not overlap, or it is another EVSE or level.
    later = {**new, "valid_from": (NOW + timedelta(days=1)).isoformat()}
    bounded = InstalledProfile(
        1, ChargingProfile.parse(profile(id=1, stack_level=2, valid_to=(NOW + timedelta(hours=1)).isoformat())), NOW
    )
    check_profile(1, ChargingProfile.parse(later), ctx(V201, installed=[bounded]))
    check_profile(2, ChargingProfile.parse(new), ctx(V201, installed=[old]))
    check_profile(1, ChargingProfile.parse({**new, "stack_level": 3}), ctx(V201, installed=[old]))
    # The same id replaces (K01.FR.05).
    same_id = ChargingProfile.parse(profile(id=1, stack_level=2))
    check_profile(1, same_id, ctx(V201, installed=[old]))
    assert replaced_profiles(1, same_id, ctx(V201, installed=[old])) == [old]
    # TxProfiles: the same stack level and transaction (K01.FR.39).
    tx_old = InstalledProfile(1, ChargingProfile.parse(profile(id=5, purpose="TxProfile", transaction_id="t")), NOW)
    assert (
        rule_of(
            V201, 1, profile(id=6, purpose="TxProfile", transaction_id="t"), installed=[tx_old], transactions={1: "t"}
        )
        == "K01.FR.39"
    )
    # 1.6 replaces instead: same stack level and purpose on the same connector.
    p16 = ChargingProfile.parse(new)
    check_profile(1, p16, ctx(V16, installed=[old]))
    assert replaced_profiles(1, p16, ctx(V16, installed=[old])) == [old]
    assert replaced_profiles(2, p16, ctx(V16, installed=[old])) == []
