"""Data transfer (OCPP 2.0.1 block P): vendor-specific messages."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from chargeplane.domain.commands.base import Command
from chargeplane.domain.fields import Text


class DataTransfer(Command):
    name: ClassVar[str] = "data-transfer"
    vendor_id: Annotated[str, Text(255)]
    message_id: Annotated[str, Text(50)] | None = None
    data: Any = Field(default=None, description="1.6: a string; 2.0.1: any JSON value.")
