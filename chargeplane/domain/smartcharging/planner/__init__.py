"""Site load management, pure: limits over time, the planner, and safe dispatch."""

from .dispatch import Push, check_moments, headroom, safe_pushes, usage_at
from .plan import EvseState, Plan, Segment, Session, Steps, highest, plan_site, step_at
from .site import BuildingLoad, Capacity, LimitStep, LimitUnit, PeakShaving, PeakWindow, Site, Strategy

__all__ = [
    "BuildingLoad",
    "Capacity",
    "EvseState",
    "LimitStep",
    "LimitUnit",
    "PeakShaving",
    "PeakWindow",
    "Plan",
    "Push",
    "Segment",
    "Session",
    "Site",
    "Steps",
    "Strategy",
    "check_moments",
    "headroom",
    "highest",
    "plan_site",
    "safe_pushes",
    "step_at",
    "usage_at",
]
