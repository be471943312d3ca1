"""Diagnostics (OCPP 2.0.1 block N): log uploads. Progress comes as
DiagnosticsStatusNotification (1.6) / LogStatusNotification."""

from __future__ import annotations

from typing import Annotated, ClassVar

from chargeplane.domain.commands.base import Command
from chargeplane.domain.fields import Int32, Moment, Uri, one_of, request_id


class GetDiagnostics(Command):
    """1.6 GetDiagnostics (DiagnosticsLog) or the security extension's GetLog (SecurityLog) /
    2.0.1 GetLog."""

    name: ClassVar[str] = "get-diagnostics"
    location: Uri
    log_type: Annotated[str, one_of("DiagnosticsLog", "SecurityLog")] = "DiagnosticsLog"
    oldest: Moment | None = None
    latest: Moment | None = None
    retries: Int32 | None = None
    retry_interval: Int32 | None = None
    request_id: Int32 = request_id("Names the LogStatusNotifications; random when absent.")
