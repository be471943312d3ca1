"""Authorization (OCPP 2.0.1 block C): the charger's authorization cache."""

from __future__ import annotations

from typing import ClassVar

from chargeplane.domain.commands.base import Command


class ClearCache(Command):
    name: ClassVar[str] = "clear-cache"
