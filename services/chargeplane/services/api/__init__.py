"""The operator-facing REST API (FastAPI). Talks to the registry only through gRPC stubs."""

from __future__ import annotations

from .app import create_app
from .bootstrap import ensure_bootstrap_token

__all__ = ["create_app", "ensure_bootstrap_token"]
