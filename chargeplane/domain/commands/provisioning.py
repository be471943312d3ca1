"""Provisioning (OCPP 2.0.1 block B): reset, configuration read and write, base reports.

Configuration keys are version-neutral text (see chargeplane.domain.device): a 1.6 key
such as ``HeartbeatInterval`` or a 2.0.1 ``Component/Variable``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator, model_validator

from chargeplane.domain.commands.base import Command
from chargeplane.domain.device import ATTRIBUTE_TYPES, check_key
from chargeplane.domain.fields import InputModel, Int32, Items, Text, invalid, one_of, request_id

Key = Annotated[str, Text(200, check=check_key)]
AttributeType = Annotated[str, one_of(*ATTRIBUTE_TYPES)]


class Reset(Command):
    """1.6 Reset Soft/Hard; 2.0.1 Reset OnIdle/Immediate (optionally of one EVSE)."""

    name: ClassVar[str] = "reset"
    type: Annotated[str, one_of("soft", "hard", onidle="soft", immediate="hard")] = Field(
        default="soft", description="soft: after transactions end (2.0.1 OnIdle); hard: now (2.0.1 Immediate)."
    )
    evse_id: Int32 | None = Field(default=None, description="OCPP 2.0.1 only: reset one EVSE.")


class GetConfiguration(Command):
    """1.6 GetConfiguration / 2.0.1 GetVariables. No keys: the whole configuration
    (1.6 only; on 2.0.1 use get-base-report)."""

    name: ClassVar[str] = "get-configuration"
    keys: Annotated[tuple[Key, ...], Items(1000)] = ()
    attribute_type: AttributeType | None = Field(default=None, description="2.0.1: Actual (default), Target, ...")


class ConfigurationSetting(InputModel):
    key: Key
    value: Annotated[str, Text(1000, allow_empty=True)]


class ChangeConfiguration(Command):
    """1.6 ChangeConfiguration (one key per message) / 2.0.1 SetVariables (one or more).
    The body is either ``{"settings": [{"key": k, "value": v}, ...]}`` or, for one key,
    ``{"key": k, "value": v}``."""

    name: ClassVar[str] = "change-configuration"
    settings: Annotated[tuple[ConfigurationSetting, ...], Items(1000)]
    attribute_type: AttributeType | None = Field(default=None, description="OCPP 2.0.1 only.")

    @model_validator(mode="before")
    @classmethod
    def _one_key_shorthand(cls, data: Any) -> Any:
        if not isinstance(data, dict) or ("key" not in data and "value" not in data):
            return data
        if data.get("settings") is not None:
            raise invalid("give either key and value, or settings")
        rest = {k: v for k, v in data.items() if k not in ("key", "value")}
        return {**rest, "settings": [{"key": data.get("key"), "value": data.get("value")}]}

    @field_validator("settings")
    @classmethod
    def _some_settings(cls, settings: tuple[ConfigurationSetting, ...]) -> tuple[ConfigurationSetting, ...]:
        if not settings:
            raise invalid("at least one setting is required")
        return settings


class GetBaseReport(Command):
    """2.0.1 GetBaseReport (the report comes as NotifyReport messages with request_id).
    On 1.6 a configuration or full inventory is GetConfiguration with no keys, whose
    answer carries the configuration directly."""

    name: ClassVar[str] = "get-base-report"
    report_base: Annotated[str, one_of("ConfigurationInventory", "FullInventory", "SummaryInventory")] = "FullInventory"
    request_id: Int32 = request_id("Names the NotifyReport parts; random when absent.")
