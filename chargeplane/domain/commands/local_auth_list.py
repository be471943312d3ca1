"""Local authorization list (OCPP 2.0.1 block D). The list is given by the caller
(computed from the id tokens elsewhere)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, ValidationInfo, field_validator, model_validator

from chargeplane.domain.commands.base import Command
from chargeplane.domain.fields import IdToken, IdTokenType, InputModel, Int32, Items, Moment, invalid, one_of

TOKEN_STATUSES_16 = ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx")
TOKEN_STATUSES = (*TOKEN_STATUSES_16, "NoCredit", "NotAllowedTypeEVSE", "NotAtThisLocation", "NotAtThisTime", "Unknown")


class LocalListEntry(InputModel):
    id_token: IdToken
    id_token_type: IdTokenType = Field(default="Central", description="OCPP 2.0.1 only.")
    status: Annotated[str, one_of(*TOKEN_STATUSES)] | None = Field(
        default=None, description="Absent: remove the entry (Differential update)."
    )
    expiry: Moment | None = None
    group_id_token: IdToken | None = Field(default=None, description="1.6 parentIdTag.")

    @model_validator(mode="after")
    def _details_need_a_status(self) -> LocalListEntry:
        if self.status is None and (self.expiry is not None or self.group_id_token is not None):
            raise invalid("expiry and group_id_token need a status")
        return self


class SendLocalList(Command):
    name: ClassVar[str] = "send-local-list"
    version: Int32
    update_type: Annotated[str, one_of("Full", "Differential")]
    entries: Annotated[tuple[LocalListEntry, ...], Items(100_000)] = ()

    @field_validator("entries")
    @classmethod
    def _full_entries_have_a_status(
        cls, entries: tuple[LocalListEntry, ...], info: ValidationInfo
    ) -> tuple[LocalListEntry, ...]:
        if info.data.get("update_type") == "Full" and any(e.status is None for e in entries):
            raise invalid("every entry of a Full update needs a status")
        return entries


class GetLocalListVersion(Command):
    name: ClassVar[str] = "get-local-list-version"
