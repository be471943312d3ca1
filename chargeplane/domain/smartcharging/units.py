"""A <-> W for AC charging: the conversion every charger applies (2.0.1 K01.FR.49/50).

Amps are per phase; watts are the total over the phases in use. `voltage` is the nominal
phase-to-neutral voltage of the site (230 V in Europe), never a measured one.
"""

from __future__ import annotations

from .model import RateUnit

DEFAULT_PHASES = 3  # K01.FR.49: an AC schedule period without numberPhases means three
DEFAULT_VOLTAGE = 230.0


def convert(limit: float, src: RateUnit, dst: RateUnit, phases: int | None, voltage: float) -> float:
    """`limit` in unit `src` expressed in `dst`, for a period drawing on `phases` phases."""
    if src is dst:
        return limit
    n = phases or DEFAULT_PHASES
    if dst is RateUnit.WATTS:
        return limit * voltage * n
    return limit / (voltage * n)


def watts(amps: float, phases: int, voltage: float) -> float:
    return amps * voltage * phases


def amps(power_w: float, phases: int, voltage: float) -> float:
    return power_w / (voltage * phases)
