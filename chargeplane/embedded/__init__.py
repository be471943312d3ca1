"""Real PostgreSQL and Redis servers from PyPI wheels, for `chargeplane run` and tests."""

from chargeplane.embedded.postgres import EmbeddedPostgres
from chargeplane.embedded.redis import EmbeddedRedis

__all__ = ["EmbeddedPostgres", "EmbeddedRedis"]
