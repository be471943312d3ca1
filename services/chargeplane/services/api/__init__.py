"""The api service: the operator-facing API, over REST (`rest/`, FastAPI) and gRPC
(`grpc/`, OperatorService), on one service layer: commands (`command_service`, recorded by
`command_store`, delivered by chargeplane.routing) and API tokens (`api_tokens`). It talks
to the other services only through their gRPC stubs."""

from __future__ import annotations

from .api_tokens import ensure_bootstrap_token
from .rest import create_app

__all__ = ["create_app", "ensure_bootstrap_token"]
