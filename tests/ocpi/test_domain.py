"""The pure OCPI rules: OCPP -> OCPI status, the Locations projection's change planning,
pushes, whitelist decisions, DateTime, version negotiation, the Authorization header."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chargeplane.domain.ocpi import locations as loc
from chargeplane.domain.ocpi.credentials import pick_version, push_audience
from chargeplane.domain.ocpi.datetimes import format_datetime, parse_datetime
from chargeplane.domain.ocpi.enums import AllowedType, EvseStatus, WhitelistType
from chargeplane.domain.ocpi.models import BusinessDetails, CredentialsRole, Version
from chargeplane.domain.ocpi.tokens import (
    Decision,
    TokenRules,
    local_decision,
    needs_realtime,
    realtime_decision,
    unreachable_decision,
)
from chargeplane.services.ocpi.credential_tokens import TokenCipher, encode_header, header_candidates

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PARTY = loc.Party("NL", "CPL")


@pytest.mark.parametrize(
    ("statuses", "station", "connected", "expected"),
    [
        (["Available"], None, True, EvseStatus.AVAILABLE),
        (["Preparing"], None, True, EvseStatus.CHARGING),
        (["SuspendedEV"], None, True, EvseStatus.CHARGING),
        (["Finishing"], None, True, EvseStatus.BLOCKED),
        (["Occupied"], None, True, EvseStatus.CHARGING),
        (["Reserved"], None, True, EvseStatus.RESERVED),
        (["Unavailable"], None, True, EvseStatus.INOPERATIVE),
        (["Faulted"], None, True, EvseStatus.OUTOFORDER),
        (["Available"], None, False, EvseStatus.UNKNOWN),  # offline
        ([], None, True, EvseStatus.UNKNOWN),  # never reported
        (["Available", "Occupied"], None, True, EvseStatus.CHARGING),  # one EV per EVSE
        (["Faulted", "Available"], None, True, EvseStatus.AVAILABLE),  # can still start a session
        (["Available"], "Unavailable", True, EvseStatus.INOPERATIVE),  # 1.6 connector 0
        (["Charging"], "Faulted", True, EvseStatus.OUTOFORDER),
        (["Available"], "Available", True, EvseStatus.AVAILABLE),
        (["Bogus"], None, True, EvseStatus.UNKNOWN),
    ],
)
def test_evse_status(statuses: list[str], station: str | None, connected: bool, expected: EvseStatus) -> None:
    assert loc.evse_status(statuses, station, connected) is expected


def charger(status: str = "Available", *, amps: int = 32, connected: bool = True) -> loc.ChargerView:
    hw = loc.EvseHardware(1, (loc.ConnectorHardware(1, "IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, amps),))
    return loc.ChargerView("CP-1", connected, {(1, 1): status}, (hw,))


def uids() -> itertools.count[int]:
    return itertools.count(1)


def planned(stored: list[loc.StoredEvse], view: loc.ChargerView, at: datetime = NOW) -> list[loc.EvseChange]:
    counter = uids()
    return loc.plan_evses(stored, loc.computed_evses(view), at, lambda: f"uid-{next(counter)}")


def test_plan_new_status_changed_removed() -> None:
    (added,) = planned([], charger())
    assert added.kind == "added" and added.evse.uid == "uid-1" and added.evse.status == "AVAILABLE"
    assert added.evse.body["connectors"][0]["last_updated"] == format_datetime(NOW)
    stored = [added.evse]
    assert planned(stored, charger()) == []  # nothing changed, nothing to publish
    later = NOW + timedelta(minutes=1)
    (status,) = planned(stored, charger("Charging"), later)
    assert status.kind == "status" and status.evse.uid == "uid-1" and status.evse.last_updated == later
    # Hardware changed: the connector's last_updated moves, the EVSE is sent whole.
    (changed,) = planned(stored, charger(amps=16), later)
    assert changed.kind == "changed" and changed.evse.body["connectors"][0]["last_updated"] == format_datetime(later)
    (removed,) = loc.plan_evses(stored, [], later, lambda: "unused")
    assert removed.kind == "removed" and removed.evse.status == "REMOVED"
    assert loc.plan_evses([removed.evse], [], later, lambda: "unused") == []  # removed once
    (back,) = planned([removed.evse], charger(), later)
    assert back.kind == "changed" and back.evse.uid == "uid-1"


def test_unchanged_connectors_keep_their_timestamp() -> None:
    two = loc.EvseHardware(
        1,
        (
            loc.ConnectorHardware(1, "IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 32),
            loc.ConnectorHardware(2, "IEC_62196_T2_COMBO", "CABLE", "DC", 920, 200, 150000),
        ),
    )
    (added,) = planned([], loc.ChargerView("CP-1", True, {}, (two,)))
    faster = loc.EvseHardware(
        1, (two.connectors[0], loc.ConnectorHardware(2, "IEC_62196_T2_COMBO", "CABLE", "DC", 920, 400))
    )
    later = NOW + timedelta(hours=1)
    (changed,) = planned([added.evse], loc.ChargerView("CP-1", True, {}, (faster,)), later)
    stamps = [c["last_updated"] for c in changed.evse.body["connectors"]]
    assert stamps == [format_datetime(NOW), format_datetime(later)]


def test_pushes() -> None:
    (added,) = planned([], charger())
    site = loc.SiteView("S1", "Street 1", "Town", "NLD", "52.00000", "4.00000", "Europe/Amsterdam")
    body = loc.location_body(PARTY, site)
    full = loc.location_object(body, [added.evse], NOW)
    (put,) = loc.plan_pushes(PARTY, "S1", full, [added])
    assert (put.method, put.path, put.replaces) == ("PUT", "/NL/CPL/S1", "location")
    assert put.body["evses"][0]["uid"] == "uid-1" and put.body["last_updated"] == format_datetime(NOW)
    (status,) = planned([added.evse], charger("Charging"))
    (patch,) = loc.plan_pushes(PARTY, "S1", None, [status])
    assert (patch.method, patch.path, patch.replaces) == ("PATCH", "/NL/CPL/S1/uid-1", "evse_patch")
    assert patch.body == {"status": "CHARGING", "last_updated": format_datetime(NOW)}
    assert loc.ordering_key("S1") == "location:S1"
    assert not loc.location_changed(body, dict(body)) and loc.location_changed(None, body)


@pytest.mark.parametrize(
    ("whitelist", "valid", "realtime", "local", "unreachable"),
    [
        (WhitelistType.ALWAYS, True, False, Decision.ACCEPTED, Decision.ACCEPTED),
        (WhitelistType.ALWAYS, False, False, Decision.BLOCKED, Decision.BLOCKED),
        (WhitelistType.ALLOWED, True, False, Decision.ACCEPTED, Decision.ACCEPTED),
        (WhitelistType.ALLOWED, False, True, Decision.BLOCKED, Decision.BLOCKED),
        (WhitelistType.ALLOWED_OFFLINE, True, True, Decision.ACCEPTED, Decision.ACCEPTED),
        (WhitelistType.ALLOWED_OFFLINE, False, True, Decision.BLOCKED, Decision.BLOCKED),
        (WhitelistType.NEVER, True, True, Decision.ACCEPTED, Decision.INVALID),
    ],
)
def test_whitelist_rules(
    whitelist: WhitelistType, valid: bool, realtime: bool, local: Decision, unreachable: Decision
) -> None:
    rules = TokenRules(valid, whitelist)
    assert needs_realtime(rules) is realtime
    assert local_decision(rules) is local
    if whitelist is not WhitelistType.ALWAYS:
        assert unreachable_decision(rules) is unreachable
    assert realtime_decision(AllowedType.NOT_ALLOWED) is Decision.NOT_AT_THIS_LOCATION


def test_datetimes() -> None:
    assert format_datetime(datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)) == "2015-06-29T20:39:09Z"
    assert format_datetime(datetime(2018, 1, 1, 1, 8, 1, 123456, tzinfo=UTC)) == "2018-01-01T01:08:01.123Z"
    for text in ("2015-06-29T20:39:09Z", "2015-06-29T20:39:09", "2016-12-29T17:45:09.2Z", "2015-06-29T22:39:09+02:00"):
        parsed = parse_datetime(text)
        assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)
    assert parse_datetime("2015-06-29T22:39:09+02:00") == datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)
    assert format_datetime(datetime(2020, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == "2020-01-01T00:00:00Z"
    for bad in ("", "2015-06-29", "yesterday"):
        with pytest.raises(ValueError):
            parse_datetime(bad)


def role(kind: str, party: str = "ABC") -> CredentialsRole:
    return CredentialsRole.model_validate(
        {"role": kind, "party_id": party, "country_code": "nl", "business_details": BusinessDetails(name="x")}
    )


def test_versions_and_audience() -> None:
    offered = [Version(version=v, url=f"https://x.example/{v}") for v in ("2.1.1", "2.2.1", "2.2")]
    chosen = pick_version(offered)
    assert chosen is not None and chosen.version == "2.2.1"
    assert pick_version([Version(version="2.1.1", url="https://x.example/2.1.1")]) is None
    audience = push_audience([role("CPO", "AAA"), role("EMSP", "BBB")])
    assert audience is not None and (audience.party_id, audience.country_code) == ("BBB", "NL")  # upper-cased
    assert push_audience([role("CPO")]) is None


def test_authorization_header_both_forms() -> None:
    token = "example-token"
    assert encode_header(token) == "Token ZXhhbXBsZS10b2tlbg=="
    assert header_candidates("Token ZXhhbXBsZS10b2tlbg==")[0] == token
    # The spec's own example encodes a trailing newline (`echo | base64`): tolerated.
    assert header_candidates("Token ZXhhbXBsZS10b2tlbgo=")[0] == token
    assert header_candidates(f"Token {token}") == [token]  # 2.1.1/2.2 peers: raw
    assert header_candidates("Bearer x") == [] and header_candidates(None) == []
    raw = base64.b64encode(b"\x00\xff").decode()
    assert header_candidates(f"Token {raw}") == [raw]  # decodes to junk: only the raw reading


def test_peer_tokens_are_encrypted() -> None:
    cipher = TokenCipher(b"k" * 32)
    blob = cipher.encrypt("secret-token")
    assert b"secret-token" not in blob and cipher.decrypt(blob) == "secret-token"
    assert cipher.encrypt("secret-token") != blob  # a fresh nonce each time
    with pytest.raises(ValueError):
        TokenCipher(b"short")
