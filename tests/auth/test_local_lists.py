"""Local authorization lists: full and differential SendLocalList computation, per-charger version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from hypothesis import given
from hypothesis import strategies as st

from chargeplane.domain.auth import (
    AuthorizationStatus,
    IdTokenType,
    LocalListState,
    Token,
    UpdateType,
    apply_update,
    list_entries,
    plan_update,
)
from chargeplane.pb.auth.v1 import auth_pb2 as pb

if TYPE_CHECKING:  # the grpc.aio stub type exists in the .pyi only
    from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub

NOW = datetime(2026, 11, 23, tzinfo=UTC)
statuses = st.sampled_from([AuthorizationStatus.ACCEPTED, AuthorizationStatus.BLOCKED, AuthorizationStatus.INVALID])
token_sets = st.dictionaries(st.sampled_from([f"T{i}" for i in range(12)]), statuses, max_size=12)


def tokens(spec: dict[str, AuthorizationStatus]) -> list[Token]:
    return [Token(k, IdTokenType.ISO14443, v) for k, v in spec.items()]


@given(st.lists(token_sets, min_size=1, max_size=6), st.integers(1, 20))
def test_updates_always_bring_the_charger_to_the_wanted_list(
    history: list[dict[str, AuthorizationStatus]], limit: int
) -> None:
    held = LocalListState()
    for spec in history:
        wanted = list_entries(tokens(spec), "CP", None, NOW)
        update = plan_update(held, wanted, max_differential=limit)
        if update is None:
            assert dict(held.entries) == wanted and held.version > 0
            continue
        assert update.version == held.version + 1
        if update.update_type is UpdateType.DIFFERENTIAL:
            assert len(update.entries) <= limit
        held = apply_update(held, update)
        assert dict(held.entries) == wanted


def test_differential_has_changes_and_removals_only() -> None:
    first = list_entries(
        tokens({"A": AuthorizationStatus.ACCEPTED, "B": AuthorizationStatus.ACCEPTED}), "CP", None, NOW
    )
    full = plan_update(LocalListState(), first, max_differential=10)
    assert full is not None and full.update_type is UpdateType.FULL and full.version == 1
    held = apply_update(LocalListState(), full)
    second = list_entries(
        tokens({"A": AuthorizationStatus.BLOCKED, "C": AuthorizationStatus.ACCEPTED}), "CP", None, NOW
    )
    diff = plan_update(held, second, max_differential=10)
    assert diff is not None and diff.update_type is UpdateType.DIFFERENTIAL and diff.version == 2
    assert [(e.id_token, e.info.status if e.info else None) for e in diff.entries] == [
        ("A", AuthorizationStatus.BLOCKED),
        ("B", None),  # removal: no idTagInfo
        ("C", AuthorizationStatus.ACCEPTED),
    ]
    assert plan_update(held, second, max_differential=2).update_type is UpdateType.FULL  # type: ignore[union-attr]


def test_expired_and_foreign_tokens() -> None:
    listed = list_entries(
        [
            Token("OLD", expiry=NOW - timedelta(days=1)),
            Token("MINE", charge_points=("CP",)),
            Token("THEIRS", charge_points=("OTHER",)),
        ],
        "CP",
        None,
        NOW,
    )
    assert {k: v.info.status for k, v in listed.items() if v.info} == {
        "OLD": AuthorizationStatus.EXPIRED,
        "MINE": AuthorizationStatus.ACCEPTED,
    }


async def test_plan_and_confirm_through_the_service(auth: AuthServiceAsyncStub) -> None:
    for name, status in (("L1", pb.AUTHORIZATION_STATUS_ACCEPTED), ("L2", pb.AUTHORIZATION_STATUS_BLOCKED)):
        await auth.UpsertToken(pb.UpsertTokenRequest(token=pb.Token(id_token=name, status=status)))
    plan = await auth.PlanLocalList(pb.PlanLocalListRequest(charge_point_id="CP-LL"))
    assert plan.needed and plan.update_type == "Full" and plan.version == 1
    assert [(e.id_token, e.info.status) for e in plan.entries] == [
        ("L1", pb.AUTHORIZATION_STATUS_ACCEPTED),
        ("L2", pb.AUTHORIZATION_STATUS_BLOCKED),
    ]
    confirm = pb.ConfirmLocalListRequest(
        charge_point_id="CP-LL", version=plan.version, update_type=plan.update_type, entries=plan.entries
    )
    assert (await auth.ConfirmLocalList(confirm)).version == 1
    assert (await auth.ConfirmLocalList(confirm)).version == 1  # repeated confirmation: no change
    assert not (await auth.PlanLocalList(pb.PlanLocalListRequest(charge_point_id="CP-LL"))).needed
    await auth.DeleteToken(pb.DeleteTokenRequest(id_token="L2"))
    diff = await auth.PlanLocalList(pb.PlanLocalListRequest(charge_point_id="CP-LL"))
    assert diff.needed and diff.update_type == "Differential" and diff.version == 2
    assert [(e.id_token, e.HasField("info")) for e in diff.entries] == [("L2", False)]
    # Another charger has its own list version.
    other = await auth.PlanLocalList(pb.PlanLocalListRequest(charge_point_id="CP-OTHER"))
    assert other.version == 1 and other.update_type == "Full" and len(other.entries) == 1
