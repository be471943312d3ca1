"""Smart charging, pure: charging profiles of both OCPP versions, their validation,
composite schedules, and the site load-management planner (no I/O)."""

from .composite import ActiveTransaction, CompositePeriod, CompositeSchedule, InstalledProfile, composite_schedule
from .model import (
    ChargingProfile,
    ChargingSchedule,
    Kind,
    ProfileRuleViolation,
    Purpose,
    RateUnit,
    Recurrency,
    SchedulePeriod,
)
from .rules import StationContext, check_profile, replaced_profiles

__all__ = [
    "ActiveTransaction",
    "ChargingProfile",
    "ChargingSchedule",
    "CompositePeriod",
    "CompositeSchedule",
    "InstalledProfile",
    "Kind",
    "ProfileRuleViolation",
    "Purpose",
    "RateUnit",
    "Recurrency",
    "SchedulePeriod",
    "StationContext",
    "check_profile",
    "composite_schedule",
    "replaced_profiles",
]
